"""The run records in a warehouse: every ML model's run table, read as one."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .contract import RUN_RECORD
from .log import Decision

#: Schema of the run tables (``ml.<dbt model>``, names ending in ``_runs``).
RUN_SCHEMA = "ml"
RUN_TABLE_SUFFIX = "_runs"


def run_tables(con: Any) -> list[str]:
    """The run tables in the warehouse, by name."""
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? order by 1",
        [RUN_SCHEMA],
    ).fetchall()
    return [row[0] for row in rows if row[0].endswith(RUN_TABLE_SUFFIX)]


def load_run_records(con: Any) -> pd.DataFrame:
    """Every run record of every ML model, sorted by model and run number.

    Columns the contract declares but an older table lacks are added empty.
    """
    frames = [
        con.execute(f'select * from "{RUN_SCHEMA}"."{table}"').df()
        for table in run_tables(con)
    ]
    frames = [frame for frame in frames if not frame.empty]
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    runs = _with_failed_gates(con, runs)
    for column in RUN_RECORD.columns:
        if column.name not in runs:
            runs[column.name] = pd.Series(dtype=object)
    runs["run_id"] = runs["run_id"].astype(str)
    runs["is_auto_deployed"] = (
        runs["is_auto_deployed"].astype("boolean").fillna(False).astype(bool)
    )
    runs = runs.sort_values(["model_key", "run_number"], kind="stable")
    return runs.reset_index(drop=True)


def _with_failed_gates(con: Any, runs: pd.DataFrame) -> pd.DataFrame:
    """Add each run's count of failed gates (0 before gates existed)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'ml_store' and table_name = 'gate_results'"
    ).fetchone()
    if runs.empty or not exists or not exists[0]:
        return runs.assign(failed_gate_count=0)
    failed = con.execute(
        "select run_id, count(*) as failed_gate_count from ml_store.gate_results "
        "where status = 'fail' group by 1"
    ).df()
    out = runs.merge(failed, on="run_id", how="left")
    out["failed_gate_count"] = out["failed_gate_count"].fillna(0).astype(int)
    return out


def decisions_from_frame(frame: pd.DataFrame) -> tuple[Decision, ...]:
    """The ml_decision_log model's rows as decisions (with their lines)."""
    return tuple(
        Decision(
            run_id=str(row.run_id),
            status=str(row.status),
            decided_at=pd.Timestamp(row.decided_at).to_pydatetime(),
            decided_by=str(row.decided_by),
            reason=str(row.reason),
            line=int(row.line_number),
        )
        for row in frame.itertuples(index=False)
    )


def loaded_decisions(con: Any) -> tuple[Decision, ...]:
    """The decisions the last build read (empty before the first)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'ml_decisions' and table_name = 'ml_decision_log'"
    ).fetchone()
    if not exists or not exists[0]:
        return ()
    return decisions_from_frame(
        con.execute("select * from ml_decisions.ml_decision_log").df()
    )
