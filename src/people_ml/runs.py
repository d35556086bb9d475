"""One ML run inside a dbt Python model: train or score, record, store.

The dbt Python model stays a few lines: it reads its feature model and the
decision log and calls :func:`execute_run`. This module decides the mode
(a frozen model scores, otherwise AutoML trains), runs the library, writes the
run's outputs to the append-only ``ml_store`` tables and returns the run record,
which dbt appends to the model's run table. The run record is written last:
it is the commit marker, so outputs of a run that failed midway are never read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from people_ml import ledger
from people_ml.ledger.contract import (
    RUN_FAILURES,
    RUN_RECORD,
    STORE_SCHEMA,
    STORE_TABLES,
    Table,
    conform,
)
from people_ml.ledger.records import decisions_from_frame, loaded_decisions
from people_ml.ml import (
    MLError,
    MLModelSpec,
    RunOutputs,
    candidate_features,
    progress_logger,
    score,
    sha256_file,
    stage,
    train,
)
from people_ml.ml._outputs import ML_STORE_TABLES
from people_ml.ml._versions import library_versions
from people_ml.monitoring import (
    MONITORING_TABLES,
    MonitoringOutputs,
    MonitoringPolicy,
    monitor_run,
)
from people_ml.quality import ROW_HASH, row_hashes
from people_ml.review.policy import (
    ReviewPolicy,
    check_protected_columns,
    check_protected_features,
)
from people_ml.review.run import REVIEW_TABLES, ReviewOutputs, ShownRun, review_run

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
    return Path(os.environ.get("PEOPLE_ML_HOME", ".")) / ledger.log.DEFAULT_NAME


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
    facts = ledger.run_facts(ledger.load_run_records(session))
    ledger.check_nothing_lost(
        loaded_decisions(session), log.decisions, facts, source=str(path)
    )
    ledger.validate(log.decisions, facts, source=str(path))
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


_NULLABLE = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def read_frame(relation: Any, order_by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A DuckDB relation's rows as a pandas frame, read through Arrow.

    The dtypes are those of DuckDB's ``relation.df()``: integers and booleans
    as numpy types, or pandas' nullable ones where the column has a null;
    dates and timestamps as ``datetime64[us]``; decimals as float64; text as
    pandas' ``str``. It is about ten times faster: 2.2 s against 21.8 s for
    the 3.7 million person-months of 100,000 employees, most of which
    ``.df()`` spends building text columns.

    Parameters
    ----------
    relation
        A ``duckdb.DuckDBPyRelation``, e.g. a dbt Python model's ``dbt.ref(...)``.
    order_by
        Columns to sort the rows by in the warehouse (ascending), e.g. an ML
        run's entity id and sample date, so the run need not sort a copy.
    """
    if order_by:
        relation = relation.order(", ".join(f'"{c}"' for c in order_by))
    # Converted in a function of its own, so Arrow's table is freed on return.
    frame = _to_pandas(relation.to_arrow_table())
    # Arrow's allocator keeps what it freed (0.3 GB at 100,000 employees).
    pa.default_memory_pool().release_unused()
    return frame


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as the frame ``relation.df()`` would give (see read_frame)."""
    columns: dict[str, Any] = {}
    for name, chunks in zip(table.column_names, table.columns, strict=True):
        # One chunk per column, not DuckDB's one per 122,880 rows: selecting
        # rows from a chunked text column copies the whole column first.
        # Text as large_string first (64-bit offsets, what pandas' str holds
        # anyway): one chunk of DuckDB's 32-bit-offset text is capped at 2 GiB.
        if pa.types.is_string(chunks.type):
            chunks = chunks.cast(pa.large_string())
        column = chunks.combine_chunks()
        kind = column.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            unit = pa.timestamp("us", tz=getattr(kind, "tz", None))
            series = column.cast(unit).to_pandas()
        elif kind in _NULLABLE and column.null_count:
            series = column.to_pandas(types_mapper=_NULLABLE.get)
        else:
            series = column.to_pandas()
        columns[name] = series
    return pd.DataFrame(columns, columns=table.column_names)


def _order_keys(relation: Any, spec: MLModelSpec) -> tuple[str, ...]:
    """The entity id and sample date, where the relation has both."""
    keys = (spec.entity_id, spec.sample_date)
    return keys if set(keys) <= set(relation.columns) else ()


def execute_run(
    *,
    spec_config: dict[str, Any],
    frame: pd.DataFrame | Any,
    decisions: pd.DataFrame,
    runs: pd.DataFrame,
    session: Any,
    model_name: str,
    isolate: bool = True,
    rerun_unchanged: bool | str | None = False,
) -> pd.DataFrame:
    """Run one ML model; a failure is recorded, not raised (``isolate``).

    One model's failure must not cost the others their marts: dbt skips
    everything downstream of a failed node, and every mart reads every run
    model. So a run that fails appends no run record (an empty frame) and
    records the failure in ``ml_store.run_failures``; the ``ml_run_succeeded``
    test on the run model then fails the build, naming the model, after the
    marts and the publication are built. The error and its traceback are
    printed to standard error.

    Parameters
    ----------
    isolate : bool, default=True
        False raises the error instead (library callers, benchmarks).
    rerun_unchanged : bool or str, default=False
        Run even when the inputs are those of the model's latest run (see
        :func:`run_model`); dbt's rendered var may arrive as text ("True").

    Other parameters are those of :func:`run_model`.

    Returns
    -------
    pandas.DataFrame
        The run record, or no rows when the run failed.
    """
    try:
        with dbt_progress(model_name):
            return run_model(
                spec_config=spec_config,
                frame=frame,
                decisions=decisions,
                runs=runs,
                session=session,
                model_name=model_name,
                rerun_unchanged=str(rerun_unchanged).strip().lower() in _TRUE,
            )
    except Exception as exc:
        if not isolate:
            raise
        key = spec_config.get("key") if isinstance(spec_config, dict) else None
        record_failure(session, model_name=model_name, model_key=key, error=exc)
        return _no_run()


_TRUE = frozenset({"true", "1", "yes"})


class _ThreadHandler(logging.Handler):
    """Forwards the progress records of one thread (one dbt Python model: two
    may run at once) to a sink."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._thread = threading.get_ident()
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self._sink(record.getMessage())


@contextlib.contextmanager
def dbt_progress(model_name: str) -> Iterator[None]:
    """Send the run's progress (``people_ml.progress``) to dbt's console.

    Lines read ``people_ml ml_attrition_runs adapter: AutoML candidate 12 of
    50 ...`` in the build's output and its log; outside dbt they go to
    standard error.
    """
    try:
        from dbt.adapters.events.logging import AdapterLogger

        adapter = AdapterLogger(f"people_ml {model_name}")
        sink: Callable[[str], None] = adapter.info
    except ImportError:  # a library caller without dbt

        def sink(message: str) -> None:
            print(f"people_ml {model_name}: {message}", file=sys.stderr)

    handler = _ThreadHandler(sink)
    logger = progress_logger()
    previous = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # once, on dbt's console (not the root logger's too)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        if not logger.handlers:
            logger.setLevel(previous[0])
            logger.propagate = previous[1]


def _no_run() -> pd.DataFrame:
    """A run record with no rows: dbt appends nothing to the run table."""
    return conform(pd.DataFrame(columns=list(RUN_RECORD.column_names)), RUN_RECORD)


def record_failure(
    session: Any, *, model_name: str, model_key: str | None, error: BaseException
) -> None:
    """Append a failed run to ``ml_store.run_failures`` and print it."""
    message = str(error) or type(error).__name__
    print(
        f"people-ml: ML model {model_key or '?'} ({model_name}) failed and "
        f"recorded no run: {type(error).__name__}: {message}\n"
        "The other models' runs, the marts and the publication still build; the "
        f"build fails at the test ml_run_succeeded on {model_name}.",
        file=sys.stderr,
    )
    if not isinstance(error, MLError | ValueError):
        # An unexpected error: its traceback, for whoever debugs it.
        traceback.print_exception(error, file=sys.stderr)
    row = pd.DataFrame(
        [
            {
                "invocation_id": invocation_id(),
                "dbt_model": model_name,
                "model_key": model_key,
                "error_type": type(error).__name__,
                "message": message,
                "failed_at": pd.Timestamp(dt.datetime.now(dt.UTC)).tz_localize(None),
            }
        ]
    )
    _insert_rows(session, RUN_FAILURES, row)


def run_model(
    *,
    spec_config: dict[str, Any],
    frame: pd.DataFrame | Any,
    decisions: pd.DataFrame,
    runs: pd.DataFrame,
    session: Any,
    model_name: str,
    rerun_unchanged: bool = False,
) -> pd.DataFrame:
    """Train or score one ML model and store the run's outputs.

    A model whose inputs are unchanged since its latest run (the same spec,
    mode, library versions and input rows, training and predict
    set alike: :func:`input_fingerprint`) adds no run unless
    ``rerun_unchanged``: its outputs would be the same, and rebuilding the
    marts stays cheap. New hires change the predict set, so they always get
    predictions.

    Parameters
    ----------
    spec_config
        The ML model spec from the Python model's config (``ml_model``).
    frame
        The feature model: entity id, sample date, target, features. A
        DuckDB relation (``dbt.ref(...)``) is read with :func:`read_frame`,
        in entity and sample-date order.
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
    original_config = dict(spec_config)
    # Deployment options, not part of the model: scored runs of a frozen
    # model are deployed by the system unless the spec turns it off; the
    # review policy (protected attributes, slices, gates); the risk bands.
    auto_deploy = bool(spec_config.pop("auto_deploy_scored_runs", True))
    review_config = spec_config.pop("review", None)
    monitoring_config = spec_config.pop("monitoring", None)
    bands = _risk_bands(spec_config.pop("risk_bands", None))
    spec = MLModelSpec.from_config(spec_config)
    started_reading = time.perf_counter()
    if not isinstance(frame, pd.DataFrame):
        frame = read_frame(frame, order_by=_order_keys(frame, spec))
    stage(
        "read %s rows x %s columns in %.1f s",
        f"{len(frame):,}",
        len(frame.columns),
        time.perf_counter() - started_reading,
    )
    policy = ReviewPolicy.from_config(review_config, problem_type=spec.problem_type)
    monitoring_policy = MonitoringPolicy.from_config(
        monitoring_config, model_key=spec.key
    )
    state = ledger.validate(
        decisions_from_frame(decisions), ledger.run_facts(runs), source="the log"
    )
    frozen = state.frozen_run(spec.key)
    store = artifact_dir()
    inputs = input_fingerprint(frame, spec, original_config, frozen)
    unchanged = _unchanged_since(runs, inputs)
    if unchanged is not None and frozen is not None:
        # A frozen model's pickle is checked on every build, unchanged or
        # not: a tampered or missing one is refused by scoring, loudly.
        unchanged = unchanged if _pickle_intact(runs, frozen, store) else None
    if unchanged is not None and not rerun_unchanged:
        print(
            f"people-ml: ML model {spec.key} ({model_name}): its spec, training "
            f"data and predict set are unchanged since run {unchanged}: no new "
            "run. To run anyway: dbt build --vars '{ml_rerun_unchanged: true}'.",
            file=sys.stderr,
        )
        return _no_run()
    run_id = uuid.uuid4().hex
    notes: list[tuple[str, str, str]] = []
    check_protected_columns(policy, frame.columns, model_key=spec.key)
    # A name in monitoring.expected_drift must be a column the model may use
    # (a misspelt one would leave the real column alerting).
    monitoring_policy.check_features(
        candidate_features(frame, spec), model_key=spec.key
    )
    if frozen is None:
        allowed = check_protected_features(
            policy, candidate_features(frame, spec), model_key=spec.key
        )
        notes += [("warning", "protected_feature_allowed", line) for line in allowed]
        stage("training run %s (AutoML)", run_id[:12])
        outputs = train(frame, spec, artifact_dir=store, run_id=run_id)
    else:
        frozen_record = runs.loc[runs["run_id"].astype(str) == frozen].iloc[0]
        stage("scoring run %s with the frozen run %s", run_id[:12], frozen[:12])
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
    stage("reviewing run %s (comparison, fairness, gates)", run_id[:12])
    review_started = time.perf_counter()
    review = review_run(
        run_id=run_id,
        spec=spec,
        policy=policy,
        frame=frame,
        outputs=outputs,
        session=session,
        shown=_shown_run(runs, state.shown_runs().get(spec.key)),
        artifact_dir=store,
        high_band_percentile=bands[0],
        medium_band_percentile=bands[1],
    )
    auto_deployed = frozen is not None and auto_deploy
    if auto_deployed and review.gates_failed:
        auto_deployed = False
        notes.append(
            (
                "warning",
                "auto_deploy_held",
                f"scored with the frozen run {frozen}, but gate(s) "
                f"{', '.join(review.gates_failed)} failed: the run stays pending "
                "for a person to review (`people-ml review RUN`)",
            )
        )
    notes += review.notes
    write_review(session, run_id, review, notes)
    monitoring_started = time.perf_counter()
    stage("monitoring run %s (drift, input issues)", run_id[:12])
    monitoring = monitor_run(
        run_id=run_id,
        spec=spec,
        policy=monitoring_policy,
        frame=frame,
        outputs=outputs,
        session=session,
        previous_run_id=_previous_run_id(runs),
    )
    write_monitoring(session, run_id, monitoring)
    monitoring_seconds = time.perf_counter() - monitoring_started
    previous = pd.to_numeric(runs.get("run_number"), errors="coerce")
    if previous is None or previous.dropna().empty:
        run_number = 1
    else:
        run_number = int(previous.max()) + 1
    record = outputs.run.copy()
    record.insert(1, "run_number", run_number)
    record["input_fingerprint"] = inputs
    record["is_auto_deployed"] = auto_deployed
    record["dbt_model"] = model_name
    record["invocation_id"] = invocation_id()
    record["spec"] = json.dumps(
        {
            **spec_config,
            "auto_deploy_scored_runs": auto_deploy,
            "review": policy.to_dict(),
            "monitoring": monitoring_policy.to_dict(),
        },
        sort_keys=True,
        default=str,
    )
    record["review_seconds"] = monitoring_started - review_started
    record["monitoring_seconds"] = monitoring_seconds
    record["total_seconds"] = time.perf_counter() - started
    record["created_at"] = pd.Timestamp(dt.datetime.now(dt.UTC)).tz_localize(None)
    return conform(record, RUN_RECORD)


def input_fingerprint(
    frame: pd.DataFrame,
    spec: MLModelSpec,
    config: dict[str, Any],
    frozen_run_id: str | None,
) -> str:
    """sha256 of everything a run's outputs depend on.

    The whole spec config (review, monitoring and risk bands too), the frozen
    run scored with (None: trains), the library versions, and every row of
    the frame (each row's 64-bit hash, sorted: training rows and the predict
    set, in any row order). Not the run BI shows: deploying a run must not make the next
    build run the same inputs again.
    """
    header = json.dumps(
        {
            "config": config,
            "frozen_run_id": frozen_run_id,
            "libraries": library_versions(),
            "row_hash": ROW_HASH,
        },
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(header.encode("utf-8"))
    columns = sorted(str(c) for c in frame.columns)
    digest.update(
        json.dumps([(c, str(frame[c].dtype)) for c in columns]).encode("utf-8")
    )
    # Each row's 64-bit hash, sorted: the same rows in any order, the same
    # digest (vectorised: about a second for millions of person-months).
    rows = np.sort(row_hashes(frame, columns))
    digest.update(rows.tobytes())
    return digest.hexdigest()


def _unchanged_since(runs: pd.DataFrame, inputs: str) -> str | None:
    """The latest run's id when its inputs were ``inputs``, else None."""
    if runs.empty or "input_fingerprint" not in runs:
        return None
    numbers = pd.to_numeric(runs["run_number"], errors="coerce")
    latest = runs.loc[numbers.idxmax()]
    if pd.isna(latest["input_fingerprint"]) or latest["input_fingerprint"] != inputs:
        return None
    return str(latest["run_id"])


def _pickle_intact(runs: pd.DataFrame, frozen: str, store: Path) -> bool:
    """Whether the frozen run's pickle is there with its recorded sha256."""
    record = runs.loc[runs["run_id"].astype(str) == frozen]
    if record.empty:
        return False
    path = store / str(record["artifact_path"].iloc[0])
    if not path.is_file():
        return False
    return sha256_file(path) == str(record["artifact_sha256"].iloc[0])


def _risk_bands(config: Any) -> tuple[float, float]:
    """The (high, medium) percentile cut-offs of the risk bands.

    From the Python model's ``risk_bands`` config, which renders the dbt vars
    ``risk_band_high_percentile`` and ``risk_band_medium_percentile`` (their
    one home); the defaults are theirs.
    """
    config = dict(config or {})
    return (
        float(config.get("high_percentile", 0.90)),
        float(config.get("medium_percentile", 0.70)),
    )


def _previous_run_id(runs: pd.DataFrame) -> str | None:
    """The model's latest earlier run (any status), or None on its first."""
    numbers = pd.to_numeric(runs.get("run_number"), errors="coerce")
    if numbers is None or numbers.dropna().empty:
        return None
    return str(runs.loc[numbers.idxmax(), "run_id"])


def _shown_run(runs: pd.DataFrame, run_id: str | None) -> ShownRun | None:
    if run_id is None:
        return None
    match = runs[runs["run_id"].astype(str) == run_id]
    if match.empty:
        return None
    row = match.iloc[0]
    return ShownRun(
        run_id=run_id,
        artifact_path=str(row["artifact_path"]),
        artifact_sha256=str(row["artifact_sha256"]),
    )


def _insert(session: Any, table: str, frame: pd.DataFrame) -> None:
    _insert_rows(session, STORE_TABLES[table], frame)


def _insert_rows(session: Any, table: Table, frame: pd.DataFrame) -> None:
    """Append ``frame``, typed by the contract, to ``ml_store.<table>``."""
    frame = conform(frame, table)
    if frame.empty:
        return
    view = f"_people_ml_{table.name}"
    session.register(view, frame)
    try:
        session.execute(
            f"insert into {STORE_SCHEMA}.{table.name} by name select * from {view}"
        )
    finally:
        session.unregister(view)


def write_review(
    session: Any,
    run_id: str,
    review: ReviewOutputs,
    notes: list[tuple[str, str, str]],
) -> None:
    """Append the review's rows and the run's further warnings to ml_store."""
    for table in REVIEW_TABLES:
        _insert(session, table, getattr(review, table))
    write_notes(session, run_id, notes)


def write_notes(session: Any, run_id: str, notes: list[tuple[str, str, str]]) -> None:
    """Append (severity, code, message) notes to the run's warnings."""
    if notes:
        _insert(
            session,
            "warnings",
            pd.DataFrame(
                {
                    "run_id": [run_id] * len(notes),
                    "severity": [n[0] for n in notes],
                    "code": [n[1] for n in notes],
                    "message": [n[2] for n in notes],
                }
            ),
        )


def write_monitoring(session: Any, run_id: str, monitoring: MonitoringOutputs) -> None:
    """Append monitoring's rows (drift, bins, input issues) and notes to ml_store."""
    for table in MONITORING_TABLES:
        _insert(session, table, getattr(monitoring, table))
    write_notes(session, run_id, monitoring.notes)


def write_outputs(session: Any, outputs: RunOutputs) -> None:
    """Append a run's outputs to the ``ml_store`` tables, typed by the contract."""
    for table in ML_STORE_TABLES:
        _insert(session, table, getattr(outputs, table))
