"""Runs and decisions as people see them: list, show, deploy, ignore, unfreeze.

Every decision is checked against the warehouse (the run must exist) and the
rules (:mod:`people_ml.decisions`) before anything is written; on any error
nothing is written. The warehouse is only ever opened read-only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from people_ml import decisions as log
from people_ml.decisions import SYSTEM_ACTOR, Decision, RuleError

RUN_TABLE_SUFFIX = "_runs"
RUN_SCHEMA = "ml"


class RunLookupError(ValueError):
    """An unknown or ambiguous run id or model key."""


class WarehouseBusyError(RuntimeError):
    """The DuckDB file is locked by another process (usually a dbt build)."""


@dataclass(frozen=True)
class RunStore:
    """The runs of every ML model, read from the warehouse."""

    runs: pd.DataFrame
    warehouse: Path

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


def connect_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only; a clear error when missing or locked."""
    if not warehouse.exists():
        raise RunLookupError(
            f"no warehouse at {warehouse}: run `dbt build` first (or set "
            "PEOPLE_ML_DUCKDB)"
        )
    try:
        return duckdb.connect(str(warehouse), read_only=True)
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
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? order by 1",
                [RUN_SCHEMA],
            ).fetchall()
            if row[0].endswith(RUN_TABLE_SUFFIX)
        ]
        frames = [
            con.execute(f'select * from "{RUN_SCHEMA}"."{table}"').df()
            for table in tables
        ]
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for column in ("run_id", "model_key", "mode", "frozen_run_id", "created_at"):
        if column not in runs:
            runs[column] = pd.Series(dtype=object)
    if "is_auto_deployed" not in runs:
        runs["is_auto_deployed"] = False
    runs["run_id"] = runs["run_id"].astype(str)
    runs = runs.sort_values(["model_key", "run_number"], kind="stable")
    return RunStore(runs.reset_index(drop=True), warehouse)


def system_decisions(runs: pd.DataFrame) -> list[Decision]:
    """Decisions the system made: scored runs deployed automatically."""
    auto = runs[runs["is_auto_deployed"].fillna(False).astype(bool)]
    return [
        Decision(
            run_id=str(run.run_id),
            status="deployed",
            decided_at=pd.Timestamp(run.created_at).to_pydatetime(),
            decided_by=SYSTEM_ACTOR,
            reason=(
                f"scored with frozen run {run.frozen_run_id}: deployed automatically"
            ),
        )
        for run in auto.itertuples()
    ]


def _with_system_decisions(store: RunStore, written: list[Decision]) -> list[Decision]:
    """The logged decisions and the system's, in time order."""
    return sorted(written + system_decisions(store.runs), key=lambda d: d.decided_at)


def all_decisions(store: RunStore, seed: Path) -> list[Decision]:
    """The seed's decisions and the system's, in time order."""
    return _with_system_decisions(store, log.read_log(seed))


def statuses(store: RunStore, seed: Path) -> pd.Series:
    """Current status of every run, indexed by run id."""
    return log.current_statuses(
        log.to_frame(all_decisions(store, seed)), store.runs["run_id"]
    )


def actor(given: str | None) -> str:
    """Who decides: ``--by``, else PEOPLE_ML_USER, else the login name."""
    for candidate in (
        given,
        os.environ.get("PEOPLE_ML_USER"),
        os.environ.get("USER"),
        os.environ.get("LOGNAME"),
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    raise RunLookupError("say who decides: --by NAME (or set PEOPLE_ML_USER)")


def decide(
    store: RunStore,
    seed: Path,
    *,
    run_prefix: str,
    status: str,
    reason: str,
    decided_by: str,
) -> Decision:
    """Record a decision on a run after checking it; returns what was written.

    Raises
    ------
    RunLookupError
        Unknown or ambiguous run id, or no reason.
    RuleError
        The decision breaks a rule.
    decisions.DecisionLogError
        The log is not well-formed.
    """
    if not reason.strip():
        raise RunLookupError("a reason is required: --reason '...'")
    run = store.resolve(run_prefix)
    with log.locked(seed):
        written = log.read_log(seed)
        combined = _with_system_decisions(store, written)
        current = log.current_statuses(log.to_frame(combined), [run.run_id])
        log.check_transition(run.run_id, current.iloc[0], status)
        if status == "persisted":
            _check_not_frozen(store, combined, run)
        decision = Decision(
            run.run_id, status, log.now(combined), decided_by, reason.strip()
        )
        log.append(seed, decision, expected=written)
    return decision


def _check_not_frozen(
    store: RunStore, combined: list[Decision], run: pd.Series
) -> None:
    runs = store.model_runs(str(run.model_key))
    frozen = log.frozen_run_id(log.to_frame(combined), runs["run_id"])
    if frozen is not None:
        raise RuleError(
            f"run {run.run_id} cannot be persisted: model {run.model_key} is "
            f"already frozen by run {frozen} (at most one frozen run per model); "
            f"unfreeze it first with `people-ml unfreeze {run.model_key}`"
        )


def unfreeze(
    store: RunStore, seed: Path, *, model_key: str, reason: str, decided_by: str
) -> Decision:
    """Unfreeze a model: its persisted run becomes deployed; the next build trains.

    Raises
    ------
    RunLookupError
        Unknown model, or no reason.
    RuleError
        The model is not frozen.
    """
    if not reason.strip():
        raise RunLookupError("a reason is required: --reason '...'")
    runs = store.model_runs(model_key)
    with log.locked(seed):
        written = log.read_log(seed)
        combined = _with_system_decisions(store, written)
        frozen = log.frozen_run_id(log.to_frame(combined), runs["run_id"])
        if frozen is None:
            raise RuleError(f"model {model_key} is not frozen: nothing to unfreeze")
        decision = Decision(
            frozen,
            "deployed",
            log.now(combined),
            decided_by,
            f"unfreeze: {reason.strip()}",
        )
        log.append(seed, decision, expected=written)
    return decision


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
        importance = frame(
            "select feature, avg(abs(shap_value)) as mean_abs_shap, "
            "corr(shap_value, try_cast(feature_value as double)) as direction "
            "from ml_store.shap_values where run_id = ? group by 1 "
            "order by 2 desc limit 10"
        )
        warnings = frame(
            "select severity, code, message from ml_store.warnings where run_id = ?"
        )
    history = [d for d in all_decisions(store, seed) if d.run_id == run.run_id]
    return {
        "run": run,
        "status": history[-1].status if history else "pending",
        "history": history,
        "metrics": metrics,
        "profile": profile,
        "importance": importance,
        "warnings": warnings,
        "candidates": json.loads(run.get("candidates") or "[]"),
    }
