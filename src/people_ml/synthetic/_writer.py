"""Turn the integer-coded simulation into the HRIS tables and write them atomically."""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from people_ml.synthetic._params import (
    COMP_REASONS,
    ETHNICITIES,
    FAMILIES,
    FAMILY_CODES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    FIRST_NAMES_N,
    GENDERS,
    JOB_EVENTS,
    LAST_NAMES,
    LOCATIONS,
    RATING_LABELS,
    TABLES,
    TERM_REASONS,
    TERM_TYPES,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from people_ml.synthetic._engine import SimulationResult

ID_DIGITS = 10


def _sql_list(values: Sequence[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"[{quoted}]"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def worker_id_digits(employees: int) -> int:
    """Digits of the worker number: 6, or more for very large companies."""
    return max(6, len(str(employees * 10)))


def _date(col: str) -> str:
    return f"(DATE '1970-01-01' + CAST({col} AS INTEGER))"


def build_queries(
    result: SimulationResult, employees: int
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """DataFrames to register and one SELECT per output table."""
    s = result.structure
    as_of = int(result.as_of_day)
    wd = worker_id_digits(employees)
    wid = f"printf('W%0{wd}d', {{}} + 1)"
    org = s.org_unit_rows()
    org_digits = max(4, len(str(len(org["name"]))))
    team_org = s.team_org_offset

    frames: dict[str, pd.DataFrame] = {}
    frames["f_locations"] = pd.DataFrame(
        {
            "i": np.arange(len(LOCATIONS)),
            "location_name": [loc[0] for loc in LOCATIONS],
            "country_code": [loc[1] for loc in LOCATIONS],
            "region": [loc[2] for loc in LOCATIONS],
        }
    )
    frames["f_org"] = pd.DataFrame(
        {
            "i": np.arange(len(org["name"])),
            "org_unit_name": org["name"],
            "org_unit_type": org["type"],
            "parent": np.array(org["parent"], dtype=np.int64),
        }
    )
    years = np.array(result.band_years)
    ny, nf, nl = result.band_mid.shape
    yy, ff, ll = np.meshgrid(np.arange(ny), np.arange(nf), np.arange(nl), indexing="ij")
    mid = result.band_mid.reshape(-1)
    frames["f_bands"] = pd.DataFrame(
        {
            "year": years[yy.reshape(-1)],
            "family": ff.reshape(-1),
            "level": ll.reshape(-1) + 1,
            "mid": mid,
            "lo": np.round(mid * (1 - result.band_spread) / 100.0) * 100.0,
            "hi": np.round(mid * (1 + result.band_spread) / 100.0) * 100.0,
        }
    )
    frames["f_workers"] = pd.DataFrame(result.workers)
    jh = dict(result.job_history)
    jh["family"] = s.team_family[jh["team"]]
    frames["f_jh"] = pd.DataFrame(jh)
    frames["f_comp"] = pd.DataFrame(result.compensation)
    frames["f_ratings"] = pd.DataFrame(result.ratings)
    frames["f_promos"] = pd.DataFrame(result.promotions)
    frames["f_terms"] = pd.DataFrame(result.terminations)

    names = _sql_list([*FIRST_NAMES_F, *FIRST_NAMES_M, *FIRST_NAMES_N])
    numbered = "printf('{p}%0{d}d', row_number() OVER (ORDER BY {o}))"
    queries = {
        "locations": """
            SELECT printf('LOC-%03d', i + 1) AS location_id, location_name,
                   country_code, region
            FROM f_locations ORDER BY location_id""",
        "org_units": f"""
            SELECT printf('ORG-%0{org_digits}d', i + 1) AS org_unit_id, org_unit_name,
                   org_unit_type,
                   CASE WHEN parent < 0 THEN NULL
                        ELSE printf('ORG-%0{org_digits}d', parent + 1) END
                       AS parent_org_unit_id
            FROM f_org ORDER BY org_unit_id""",
        "pay_bands": f"""
            SELECT printf('PB-%d-%s-L%d', year,
                          {_sql_list(FAMILY_CODES)}[family + 1], level) AS pay_band_id,
                   {_sql_list(FAMILIES)}[family + 1] AS job_family,
                   CAST(level AS INTEGER) AS job_level,
                   make_date(CAST(year AS INTEGER), 1, 1) AS effective_date,
                   CAST(lo AS DOUBLE) AS band_minimum,
                   CAST(mid AS DOUBLE) AS band_midpoint,
                   CAST(hi AS DOUBLE) AS band_maximum,
                   'USD' AS currency
            FROM f_bands
            WHERE make_date(CAST(year AS INTEGER), 1, 1) <= {_date(as_of)}
            ORDER BY pay_band_id""",
        "workers": f"""
            SELECT {wid.format("worker")} AS worker_id,
                   {names}[first_name + 1] || ' '
                       || {_sql_list(LAST_NAMES)}[last_name + 1] AS preferred_name,
                   {_date("birth_day")} AS birth_date,
                   {_sql_list(GENDERS)}[gender + 1] AS gender,
                   {_sql_list(ETHNICITIES)}[ethnicity + 1] AS ethnicity_group,
                   printf('LOC-%03d', location + 1) AS location_id,
                   remote AS is_remote,
                   {_date("orig_hire_day")} AS original_hire_date,
                   {_date("hire_day")} AS hire_date
            FROM f_workers WHERE orig_hire_day <= {as_of} ORDER BY worker_id""",
        "job_history": f"""
            SELECT {numbered.format(p="JH", d=ID_DIGITS, o="day, worker")}
                       AS job_history_id,
                   {wid.format("worker")} AS worker_id,
                   {_date("day")} AS effective_date,
                   {_sql_list(JOB_EVENTS)}[event + 1] AS event_type,
                   printf('ORG-%0{org_digits}d', team + {team_org} + 1) AS org_unit_id,
                   {_sql_list(FAMILIES)}[family + 1] AS job_family,
                   CAST(level AS INTEGER) AS job_level,
                   CASE WHEN mgr < 0 THEN NULL ELSE {wid.format("mgr")} END
                       AS manager_worker_id,
                   CAST(fte AS DOUBLE) AS fte
            FROM f_jh WHERE day <= {as_of} ORDER BY job_history_id""",
        "compensation_history": f"""
            SELECT {numbered.format(p="CP", d=ID_DIGITS, o="day, worker")}
                       AS compensation_id,
                   {wid.format("worker")} AS worker_id,
                   {_date("day")} AS effective_date,
                   {_sql_list(COMP_REASONS)}[reason + 1] AS change_reason,
                   CAST(salary AS DOUBLE) AS base_salary,
                   'USD' AS currency
            FROM f_comp WHERE day <= {as_of} ORDER BY compensation_id""",
        "performance_ratings": f"""
            SELECT {numbered.format(p="PR", d=ID_DIGITS, o="day, worker, year")}
                       AS performance_rating_id,
                   {wid.format("worker")} AS worker_id,
                   CAST(year AS INTEGER) AS review_year,
                   {_date("day")} AS review_date,
                   CAST(rating AS INTEGER) AS rating,
                   {_sql_list(RATING_LABELS)}[rating] AS rating_label
            FROM f_ratings WHERE day <= {as_of} ORDER BY performance_rating_id""",
        "promotions": f"""
            SELECT {numbered.format(p="PM", d=ID_DIGITS, o="day, worker")}
                       AS promotion_id,
                   {wid.format("worker")} AS worker_id,
                   {_date("day")} AS effective_date,
                   CAST(from_level AS INTEGER) AS from_job_level,
                   CAST(to_level AS INTEGER) AS to_job_level
            FROM f_promos WHERE day <= {as_of} ORDER BY promotion_id""",
        "terminations": f"""
            SELECT {numbered.format(p="TR", d=ID_DIGITS, o="day, worker")}
                       AS termination_id,
                   {wid.format("worker")} AS worker_id,
                   {_date("day")} AS termination_date,
                   {_sql_list(TERM_TYPES)}[type + 1] AS termination_type,
                   {_sql_list(TERM_REASONS)}[reason + 1] AS termination_reason,
                   regrettable AS is_regrettable
            FROM f_terms WHERE day <= {as_of} ORDER BY termination_id""",
    }
    assert set(queries) == set(TABLES)
    return frames, queries


def write_tables(
    result: SimulationResult, employees: int, out_dir: Path, file_format: str
) -> dict[str, int]:
    """Write every table to ``out_dir/<table>.<format>``; returns row counts."""
    frames, queries = build_queries(result, employees)
    options = (
        "FORMAT parquet" if file_format == "parquet" else "FORMAT csv, HEADER true"
    )
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")
        for name, frame in frames.items():
            con.register(name, frame)
        for table in TABLES:
            final = out_dir / f"{table}.{file_format}"
            tmp = out_dir / f".{table}.{file_format}.tmp-{os.getpid()}"
            try:
                written = con.execute(
                    f"COPY ({queries[table]}) TO {_sql_path(tmp)} ({options})"
                ).fetchone()
                tmp.replace(final)  # atomic rename (os.replace)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            counts[table] = int(written[0]) if written else 0
    finally:
        con.close()
    other = "csv" if file_format == "parquet" else "parquet"
    for table in TABLES:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / f"{table}.{other}").unlink()
    return counts


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write JSON to a temporary file in the same folder, then rename it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(
            json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        tmp.replace(path)  # atomic rename (os.replace)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
