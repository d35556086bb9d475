"""Runs and decisions as people see them: list, show, deploy, ignore, unfreeze.

Every decision is checked against the warehouse (the run must exist) and the
ledger's rules (:mod:`people_ml.ledger`), with the whole log checked first,
before anything is written; on any error nothing is written. The warehouse is
only ever opened read-only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from people_ml import ledger
from people_ml.ledger import Decision, RuleError
from people_ml.ledger.records import loaded_decisions


class RunLookupError(ValueError):
    """An unknown or ambiguous run id or model key."""


class WarehouseBusyError(RuntimeError):
    """The DuckDB file is locked by another process (usually a dbt build)."""


@dataclass(frozen=True)
class RunStore:
    """The runs of every ML model, read from the warehouse."""

    runs: pd.DataFrame
    warehouse: Path
    loaded: tuple[Decision, ...] = ()

    def resolve(self, prefix: str) -> pd.Series:
        """The run whose id starts with ``prefix`` (unique), as a record."""
        prefix = prefix.strip().lower()
        if not prefix:
            raise RunLookupError("give a run id (or a unique prefix of one)")
        matches = self.runs[self.runs["run_id"].str.startswith(prefix)]
        if matches.empty:
            raise RunLookupError(
                f"no run {prefix!r} in {self.warehouse}: `people-ml runs` lists "
                "the runs"
            )
        if len(matches) > 1:
            listed = ", ".join(sorted(matches["run_id"]))
            raise RunLookupError(
                f"run id prefix {prefix!r} is ambiguous: it matches {listed}; "
                "give more characters"
            )
        return matches.iloc[0]

    def model_runs(self, model_key: str) -> pd.DataFrame:
        """All runs of one ML model."""
        runs = self.runs[self.runs["model_key"] == model_key]
        if runs.empty:
            known = ", ".join(sorted(self.runs["model_key"].unique())) or "none"
            raise RunLookupError(f"no ML model {model_key!r} (known: {known})")
        return runs


def connect_warehouse(
    warehouse: Path, *, read_only: bool = True
) -> duckdb.DuckDBPyConnection:
    """The warehouse (read-only unless asked); a clear error when missing or locked."""
    if not warehouse.exists():
        raise RunLookupError(
            f"no warehouse at {warehouse}: run `dbt build` first (or set "
            "PEOPLE_ML_DUCKDB)"
        )
    try:
        return duckdb.connect(str(warehouse), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(
                f"the warehouse {warehouse} is locked by another process, most "
                "likely a running `dbt build`: wait for it to finish and run the "
                "command again"
            ) from None
        raise


def load_runs(warehouse: Path) -> RunStore:
    """Read every ML model's run records (tables ``ml.*_runs``)."""
    with connect_warehouse(warehouse) as con:
        runs = ledger.load_run_records(con)
        loaded = loaded_decisions(con)
    return RunStore(runs, warehouse, loaded)


def read_ledger(store: RunStore, seed: Path) -> ledger.Ledger:
    """The whole log, parsed and checked with the run records.

    Raises
    ------
    people_ml.ledger.DecisionLogError
        The log is missing or not well-formed (names the line).
    people_ml.ledger.RuleError
        A line breaks a rule (names the line and the rule).
    """
    log = ledger.read_log(seed)
    facts = ledger.run_facts(store.runs)
    ledger.check_nothing_lost(store.loaded, log.decisions, facts, source=str(seed))
    return ledger.validate(log.decisions, facts, source=str(seed))


def statuses(store: RunStore, seed: Path) -> pd.Series:
    """Current status of every run, indexed by run id."""
    current = read_ledger(store, seed).statuses()
    ids = store.runs["run_id"].astype(str)
    return pd.Series(
        [current.get(run_id, "pending") for run_id in ids],
        index=pd.Index(ids, name="run_id"),
        name="status",
        dtype=object,
    )


def _git_email() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        completed = subprocess.run(
            [git, "config", "user.email"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def actor(given: str | None) -> str:
    """Who decides: ``--by``, PEOPLE_ML_USER, the login name, else git's email.

    Raises
    ------
    RunLookupError
        When none of them says who, or a name that is the system's.
    """
    for candidate in (
        given,
        os.environ.get("PEOPLE_ML_USER"),
        os.environ.get("USER"),
        os.environ.get("LOGNAME"),
        _git_email(),
    ):
        if candidate and candidate.strip():
            name = " ".join(candidate.split())
            if name == ledger.SYSTEM_ACTOR:
                raise RunLookupError(
                    f"{ledger.SYSTEM_ACTOR!r} is the system's name: say who decides "
                    "with --by NAME"
                )
            return name
    raise RunLookupError(
        "say who decides: --by NAME (or set PEOPLE_ML_USER); no login name "
        "($USER, $LOGNAME) or `git config user.email` was found"
    )


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise RunLookupError("a reason is required: --reason '...'")
    return text


def _record(
    seed: Path,
    store: RunStore,
    make: Callable[[ledger.Ledger, dt.datetime, int], Decision],
    action: str,
) -> Decision:
    """Under the lock: read and check the whole log, decide, check, append."""
    with ledger.locked(seed):
        log = ledger.read_log(seed)
        facts = ledger.run_facts(store.runs)
        ledger.check_nothing_lost(store.loaded, log.decisions, facts, source=str(seed))
        state = ledger.validate(log.decisions, facts, source=str(seed))
        moment = ledger.utc_now()
        latest = max((d.decided_at for d in log.decisions), default=None)
        if latest is not None and moment <= latest:
            raise ledger.DecisionLogError(
                f"this machine's clock ({ledger.format_time(moment)} UTC) is not "
                f"later than the log's latest decision "
                f"({ledger.format_time(latest)}); check the clock and run the "
                "command again"
            )
        decision = make(state, moment, log.line_count + 1)
        ledger.check_decision(state, decision, action)
        ledger.append(log, decision)
    return decision


def gate_results(store: RunStore, run_id: str) -> pd.DataFrame:
    """The gate verdicts a run recorded (empty for runs before gates)."""
    with connect_warehouse(store.warehouse) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ml_store' and table_name = 'gate_results'"
        ).fetchone()
        if not exists or not exists[0]:
            return pd.DataFrame(columns=["gate", "status", "message"])
        return con.execute(
            "select gate, status, value, ci_low, ci_high, threshold, message "
            "from ml_store.gate_results where run_id = ? order by gate",
            [run_id],
        ).df()


OVERRIDE_PREFIX = ledger.OVERRIDE_PREFIX


def decide(
    store: RunStore,
    seed: Path,
    *,
    run_prefix: str,
    status: str,
    reason: str,
    decided_by: str,
    override_gates: bool = False,
) -> Decision:
    """Record a decision on a run after checking it; returns what was written.

    Raises
    ------
    RunLookupError
        Unknown or ambiguous run id, or no reason.
    people_ml.ledger.RuleError
        The decision (or a line already in the log) breaks a rule.
    people_ml.ledger.DecisionLogError
        The log is missing or not well-formed, or cannot be written.
    """
    text = _reason(reason)
    run = store.resolve(run_prefix)
    failed = gate_results(store, str(run.run_id))
    failed = failed[failed["status"] == "fail"]

    def make(state: ledger.Ledger, moment: dt.datetime, line: int) -> Decision:
        reason_text = text
        # The gates matter only for a decision the rules allow: a run that is
        # not pending is refused by the rules, whatever its gates say.
        gated = status in ("deployed", "persisted") and (
            state.status(str(run.run_id)) == "pending"
        )
        if gated and not failed.empty and not override_gates:
            lines = "; ".join(f"{g.gate}: {g.message}" for g in failed.itertuples())
            raise RuleError(
                f"run {run.run_id} failed {len(failed)} gate(s) of its model's "
                f"review policy: {lines}. See `people-ml review {run.run_id[:12]}`; "
                "to deploy anyway, add --override-gates and say why in --reason"
            )
        if gated and not failed.empty:
            reason_text = f"{OVERRIDE_PREFIX} ({', '.join(failed['gate'])}): {text}"
        return Decision(run.run_id, status, moment, decided_by, reason_text, line)

    action = {"deployed": "deploy", "persisted": "deploy and persist"}.get(
        status, "ignore"
    )
    return _record(seed, store, make, action)


@dataclass(frozen=True)
class Rollback:
    """A rollback recorded: the run ignored, the run shown again."""

    decision: Decision
    restored_run_id: str
    was_frozen: bool
    still_frozen_by: str | None = None


def rollback(
    store: RunStore,
    seed: Path,
    *,
    model_key: str,
    reason: str,
    decided_by: str,
    artifact_dir: Path,
) -> Rollback:
    """Roll a model back: BI shows the previously shown deployed run again.

    The run BI shows now is ignored (the log records it as a rollback: the
    reason starts with ``rollback to RUN``); ignoring is final, so it can
    never come back. The run shown again is the deployed run that would be
    shown without it. When the run rolled back from is the frozen one, the
    model is no longer frozen: the next build trains anew (persist the next
    good run to freeze again). Refused when there is nothing to roll back to,
    or when the pickle of the run to show again fails verification (a run
    whose model cannot be reproduced is not a known good model).

    Raises
    ------
    RunLookupError
        Unknown model, or no reason.
    people_ml.ledger.RuleError
        Nothing shown, nothing to roll back to, or the target's pickle fails.
    """
    from people_ml.ml._artifact import sha256_file

    text = _reason(reason)
    runs = store.model_runs(model_key)
    target: list[tuple[str, bool]] = []

    def make(state: ledger.Ledger, moment: dt.datetime, line: int) -> Decision:
        shown = state.shown_runs().get(model_key)
        if shown is None:
            raise RuleError(f"model {model_key} shows no run: nothing to roll back")
        without = ledger.validate(
            [
                *[d for d in state.decisions if d.line is not None],
                Decision(
                    shown, "ignored", moment, decided_by, ledger.ROLLBACK_PREFIX, line
                ),
            ],
            state.runs,
        )
        restored = without.shown_runs().get(model_key)
        if restored is None:
            raise RuleError(
                f"model {model_key} has no earlier deployed run to roll back to "
                f"from run {shown}"
            )
        record = runs[runs["run_id"] == restored].iloc[0]
        pickle = artifact_dir / str(record["artifact_path"])
        try:
            digest = sha256_file(pickle)
        except OSError:
            digest = None
        if digest != str(record["artifact_sha256"]):
            raise RuleError(
                f"cannot roll back to run {restored}: its pickle {pickle} is "
                f"{'missing' if digest is None else 'altered'} (sha256 differs "
                "from the run record), so it is not a model that can be "
                "reproduced; restore the file, or deploy another run"
            )
        target.append(
            (restored, state.status(shown) == "persisted", state.frozen_run(model_key))
        )
        return Decision(
            shown,
            "ignored",
            moment,
            decided_by,
            f"{ledger.ROLLBACK_PREFIX}{restored}: {text}",
            line,
        )

    decision = _record(seed, store, make, "rollback")
    restored, was_frozen, frozen = target[0]
    return Rollback(decision, restored, was_frozen, None if was_frozen else frozen)


def unfreeze(
    store: RunStore, seed: Path, *, model_key: str, reason: str, decided_by: str
) -> Decision:
    """Unfreeze a model: its persisted run becomes deployed; the next build trains.

    Raises
    ------
    RunLookupError
        Unknown model, or no reason.
    people_ml.ledger.RuleError
        The model is not frozen.
    """
    text = _reason(reason)
    store.model_runs(model_key)

    def make(state: ledger.Ledger, moment: dt.datetime, line: int) -> Decision:
        frozen = state.frozen_run(model_key)
        if frozen is None:
            raise RuleError(f"model {model_key} is not frozen: nothing to unfreeze")
        return Decision(
            frozen, "deployed", moment, decided_by, f"unfreeze: {text}", line
        )

    return _record(seed, store, make, "unfreeze")


def run_report(store: RunStore, seed: Path, run: pd.Series) -> dict[str, object]:
    """Everything `people-ml show` prints about one run."""
    with connect_warehouse(store.warehouse) as con:

        def frame(sql: str) -> pd.DataFrame:
            return con.execute(sql, [run.run_id]).df()

        metrics = frame(
            "select split, metric, class_label, value from ml_store.metrics "
            "where run_id = ? order by split desc, metric, class_label"
        )
        profile = frame(
            "select * exclude (run_id) from ml_store.feature_profiles "
            "where run_id = ? order by status desc, feature"
        )
        # The run's drivers (interval, supported direction) when it recorded
        # them; a warehouse made before they existed has no such table.
        (has_drivers,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ml_store' and table_name = 'feature_importance'"
        ).fetchone()
        drivers = (
            "ml_store.feature_importance"
            if has_drivers
            else "(select null::varchar as run_id, null::varchar as feature, "
            "null::varchar as direction, null::double as importance_lower, "
            "null::double as importance_upper)"
        )
        importance = frame(
            "select shap.feature, avg(abs(shap.shap_value)) as mean_abs_shap, "
            "any_value(drivers.importance_lower) as importance_lower, "
            "any_value(drivers.importance_upper) as importance_upper, "
            "corr(shap.shap_value, try_cast(shap.feature_value as double)) "
            "as direction_corr, any_value(drivers.direction) as direction "
            f"from ml_store.shap_values as shap left join {drivers} as drivers "
            "on shap.run_id = drivers.run_id and shap.feature = drivers.feature "
            "where shap.run_id = ? group by 1 order by 2 desc limit 10"
        )
        warnings = frame(
            "select severity, code, message from ml_store.warnings where run_id = ?"
        )
        # The data-quality gate's findings (a warehouse made before the gate
        # has no such table).
        (has_quality,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ml_store' and table_name = 'data_quality'"
        ).fetchone()
        quality = (
            frame(
                "select check_name, severity, column_name, message, fix "
                "from ml_store.data_quality where run_id = ?"
            )
            if has_quality
            else pd.DataFrame(
                columns=["check_name", "severity", "column_name", "message", "fix"]
            )
        )
        # A hazard's predictions at every window (a warehouse made before
        # them has no such table).
        (has_horizons,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ml_store' "
            "and table_name = 'horizon_predictions'"
        ).fetchone()
        horizons = (
            frame(
                "select horizon_months, count(*) as people, "
                "sum(prediction) as expected_events "
                "from ml_store.horizon_predictions where run_id = ? "
                "group by 1 order by 1"
            )
            if has_horizons
            else pd.DataFrame(columns=["horizon_months", "people", "expected_events"])
        )
    history = read_ledger(store, seed).history(str(run.run_id))
    return {
        "run": run,
        "status": history[-1].status if history else "pending",
        "history": history,
        "metrics": metrics,
        "profile": profile,
        "importance": importance,
        "warnings": warnings,
        "quality": quality,
        "horizons": horizons,
        "candidates": json.loads(run.get("candidates") or "[]"),
    }
