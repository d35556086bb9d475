"""The run records in a warehouse: every ML model's run table, read as one."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .contract import RUN_RECORD

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
    for column in RUN_RECORD.columns:
        if column.name not in runs:
            runs[column.name] = pd.Series(dtype=object)
    runs["run_id"] = runs["run_id"].astype(str)
    runs["is_auto_deployed"] = (
        runs["is_auto_deployed"].astype("boolean").fillna(False).astype(bool)
    )
    runs = runs.sort_values(["model_key", "run_number"], kind="stable")
    return runs.reset_index(drop=True)
