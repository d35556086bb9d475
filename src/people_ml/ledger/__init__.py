"""The ledger: the run-output contract, the decision log and its rules.

One home for what the CLI and dbt must agree on:

- :mod:`~people_ml.ledger.contract`: every table a run writes, declared once;
- :mod:`~people_ml.ledger.log`: the decision log's format, the one parser and
  the atomic, read-back append;
- :mod:`~people_ml.ledger.rules`: the status rules as a transition table, and
  the one reading of a log with the run records (statuses, the frozen run,
  the run BI shows);
- :mod:`~people_ml.ledger.render`: the rules and contract rendered into the
  dbt macros that the SQL models use;
- :mod:`~people_ml.ledger.store`: ml_store rows a stopped build left without
  a run record, reported and removed on request.
"""

from __future__ import annotations

from .contract import RUN_RECORD, STORE_SCHEMA, STORE_TABLES
from .log import (
    COLUMNS,
    HEADER_LINE,
    STATUSES,
    SYSTEM_ACTOR,
    Decision,
    DecisionLog,
    DecisionLogError,
    LogMissingError,
    append,
    format_time,
    locked,
    parse_log,
    read_log,
    utc_now,
)
from .records import load_run_records
from .rules import (
    OVERRIDE_PREFIX,
    ROLLBACK_PREFIX,
    RULES,
    TRANSITIONS,
    Ledger,
    RuleError,
    RunFacts,
    check_decision,
    check_nothing_lost,
    run_facts,
    system_decisions,
    transition_matrix,
    validate,
)

__all__ = [
    "COLUMNS",
    "HEADER_LINE",
    "OVERRIDE_PREFIX",
    "ROLLBACK_PREFIX",
    "RULES",
    "RUN_RECORD",
    "STATUSES",
    "STORE_SCHEMA",
    "STORE_TABLES",
    "SYSTEM_ACTOR",
    "TRANSITIONS",
    "Decision",
    "DecisionLog",
    "DecisionLogError",
    "Ledger",
    "LogMissingError",
    "RuleError",
    "RunFacts",
    "append",
    "check_decision",
    "check_nothing_lost",
    "format_time",
    "load_run_records",
    "locked",
    "parse_log",
    "read_log",
    "run_facts",
    "system_decisions",
    "transition_matrix",
    "utc_now",
    "validate",
]
