"""One ML run inside a dbt Python model: train or score, record, store.

The dbt Python model stays a few lines: it reads its feature model and the
decision log and calls :func:`execute_run`. This module decides the mode
(a frozen model scores, otherwise AutoML trains), runs the library, writes the
run's outputs to the append-only ``ml_store`` tables and returns the run record,
which dbt appends to the model's run table. The run record is written last:
it is the commit marker, so outputs of a run that failed midway are never read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from people_ml import ledger
from people_ml.ledger.contract import RUN_RECORD, STORE_SCHEMA, STORE_TABLES, conform
from people_ml.ml import MLModelSpec, RunOutputs, score, train
from people_ml.ml._outputs import ML_STORE_TABLES

#: Columns of the ml_decision_log model: the log's lines, parsed.
DECISION_LOG_DTYPES = {
    "run_id": "string",
    "status": "string",
    "decided_by": "string",
    "reason": "string",
    "line_number": "Int64",
    "decided_at": "datetime64[us]",
}


class RunError(RuntimeError):
    """A run that cannot go ahead, with what to do about it."""


def artifact_dir() -> Path:
    """Folder of the content-addressed model pickles, anchored to the project."""
    default = Path(os.environ.get("PEOPLE_ML_HOME", ".")) / "artifacts" / "models"
    return Path(os.environ.get("PEOPLE_ML_ARTIFACT_DIR", default)).resolve()


def invocation_id() -> str:
    """The dbt invocation id of the build this run belongs to."""
    try:
        from dbt_common.invocation import get_invocation_id
    except ImportError:  # outside dbt, e.g. a notebook
        return "manual"
    return str(get_invocation_id())


def decision_log_path() -> Path:
    """The decision log, anchored to the project (``PEOPLE_ML_HOME``)."""
    return Path(os.environ.get("PEOPLE_ML_HOME", ".")) / "seeds" / "run_status.csv"


def decisions_frame(decisions: tuple[ledger.Decision, ...]) -> pd.DataFrame:
    """Logged decisions as the rows of the ml_decision_log model."""
    frame = pd.DataFrame(
        {
            "run_id": [d.run_id for d in decisions],
            "status": [d.status for d in decisions],
            "decided_by": [d.decided_by for d in decisions],
            "reason": [d.reason for d in decisions],
            "line_number": [d.line for d in decisions],
            "decided_at": [d.decided_at for d in decisions],
        },
        columns=list(DECISION_LOG_DTYPES),
    )
    return frame.astype(DECISION_LOG_DTYPES)


def decisions_from_frame(frame: pd.DataFrame) -> tuple[ledger.Decision, ...]:
    """The ml_decision_log model's rows as decisions (with their lines)."""
    return tuple(
        ledger.Decision(
            run_id=str(row.run_id),
            status=str(row.status),
            decided_at=pd.Timestamp(row.decided_at).to_pydatetime(),
            decided_by=str(row.decided_by),
            reason=str(row.reason),
            line=int(row.line_number),
        )
        for row in frame.itertuples(index=False)
    )


def decision_log_frame(session: Any) -> pd.DataFrame:
    """Parse and check the decision log for the ml_decision_log model.

    The same parser and rules as the ``people-ml`` commands, with the run
    records already in the warehouse (so the system's auto-deploys count).

    Raises
    ------
    people_ml.ledger.DecisionLogError, people_ml.ledger.RuleError
        Naming the file, the line, the rule and the fix.
    """
    path = decision_log_path()
    log = ledger.read_log(path)
    runs = ledger.load_run_records(session)
    ledger.validate(log.decisions, ledger.run_facts(runs), source=str(path))
    return decisions_frame(log.decisions)


def check_decisions_loaded(decisions: pd.DataFrame) -> None:
    """Refuse to run on a decision log older than the CSV on disk.

    A build that selects only the ML models does not re-read the log, so the
    warehouse may hold yesterday's decisions: training a model that was just
    frozen (or scoring one just unfrozen) would be wrong, so stop instead.

    Raises
    ------
    RunError
        When ``seeds/run_status.csv`` holds decisions the warehouse lacks.
    """
    path = decision_log_path()
    on_disk = {
        (d.line, d.run_id, d.status, pd.Timestamp(d.decided_at))
        for d in ledger.read_log(path).decisions
    }
    loaded = {
        (d.line, d.run_id, d.status, pd.Timestamp(d.decided_at))
        for d in decisions_from_frame(decisions)
    }
    if on_disk != loaded:
        raise RunError(
            f"{path} differs from the decisions loaded in the warehouse: read it "
            "again with the model (`dbt build --select ml_decision_log+`)."
        )


def previous_runs(session: Any, this: Any, is_incremental: bool) -> pd.DataFrame:
    """The model's earlier run records (empty on its first build)."""
    if not is_incremental:
        return pd.DataFrame(columns=["run_id", "run_number"])
    return session.execute(f"select * from {this}").df()


def execute_run(
    *,
    spec_config: dict[str, Any],
    frame: pd.DataFrame,
    decisions: pd.DataFrame,
    runs: pd.DataFrame,
    session: Any,
    model_name: str,
) -> pd.DataFrame:
    """Train or score one ML model and store the run's outputs.

    Parameters
    ----------
    spec_config
        The ML model spec from the Python model's config (``ml_model``).
    frame
        The feature model: entity id, sample date, target, features.
    decisions
        The run_status decision log.
    runs
        The model's earlier run records.
    session
        The DuckDB connection dbt runs the model in.
    model_name
        The dbt model's name, recorded with the run.

    Returns
    -------
    pandas.DataFrame
        The one-row run record that dbt appends to the model's run table.
    """
    started = time.perf_counter()
    check_decisions_loaded(decisions)
    spec_config = dict(spec_config)
    # A deployment option, not part of the model: scored runs of a frozen
    # model are deployed by the system unless the spec turns it off.
    auto_deploy = bool(spec_config.pop("auto_deploy_scored_runs", True))
    spec = MLModelSpec.from_config(spec_config)
    state = ledger.validate(
        decisions_from_frame(decisions), ledger.run_facts(runs), source="the log"
    )
    frozen = state.frozen_run(spec.key)
    run_id = uuid.uuid4().hex
    store = artifact_dir()
    if frozen is None:
        outputs = train(frame, spec, artifact_dir=store, run_id=run_id)
    else:
        frozen_record = runs.loc[runs["run_id"].astype(str) == frozen].iloc[0]
        outputs = score(
            frame,
            spec,
            artifact_dir=store,
            run_id=run_id,
            frozen_run_id=frozen,
            artifact_sha256=str(frozen_record["artifact_sha256"]),
            artifact_path=store / str(frozen_record["artifact_path"]),
        )
    write_outputs(session, outputs)
    previous = pd.to_numeric(runs.get("run_number"), errors="coerce")
    if previous is None or previous.dropna().empty:
        run_number = 1
    else:
        run_number = int(previous.max()) + 1
    record = outputs.run.copy()
    record.insert(1, "run_number", run_number)
    record["is_auto_deployed"] = frozen is not None and auto_deploy
    record["dbt_model"] = model_name
    record["invocation_id"] = invocation_id()
    record["spec"] = json.dumps(
        {**spec_config, "auto_deploy_scored_runs": auto_deploy},
        sort_keys=True,
        default=str,
    )
    record["total_seconds"] = time.perf_counter() - started
    record["created_at"] = pd.Timestamp(dt.datetime.now(dt.UTC)).tz_localize(None)
    return conform(record, RUN_RECORD)


def write_outputs(session: Any, outputs: RunOutputs) -> None:
    """Append a run's outputs to the ``ml_store`` tables, typed by the contract."""
    for table in ML_STORE_TABLES:
        frame = conform(getattr(outputs, table), STORE_TABLES[table])
        if frame.empty:
            continue
        view = f"_people_ml_{table}"
        session.register(view, frame)
        try:
            session.execute(
                f"insert into {STORE_SCHEMA}.{table} by name select * from {view}"
            )
        finally:
            session.unregister(view)
