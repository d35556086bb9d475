"""``generate`` and ``advance``: argument checks, simulation, files and manifest."""

from __future__ import annotations

import datetime as dt
import json
import numbers
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from people_ml.synthetic._calendar import add_months, from_day, month_end
from people_ml.synthetic._engine import SimulationResult, Simulator, organisation
from people_ml.synthetic._errors import GeneratorError
from people_ml.synthetic._params import (
    DEFAULT_CONFIG,
    GENERATOR_NAME,
    GENERATOR_VERSION,
    TABLES,
    SimulationConfig,
)
from people_ml.synthetic._population import populate
from people_ml.synthetic._shocks import ScheduledShock, parse_shock, plan_shocks
from people_ml.synthetic._writer import write_json_atomic, write_tables

MANIFEST_NAME = "_manifest.json"
EMPLOYEES_RANGE = (10, 1_000_000)
MONTHS_RANGE = (1, 240)
SEED_RANGE = (0, 2**32 - 1)
START_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 1))
FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class GenerationSummary:
    """What ``generate`` or ``advance`` wrote.

    Attributes
    ----------
    out_dir : Path
        The folder holding one file per table and ``_manifest.json``.
    as_of_date : datetime.date
        End of the extract: the last day of the last simulated month.
    row_counts : dict of str to int
        Rows written per table.
    seconds : float
        Wall-clock time of the call.
    employees, months, seed, start_date, file_format
        The parameters of the extract (``months`` is the total after ``advance``).
    headcount_at_as_of : int
        Active employees at the end of the as-of date.
    files : dict of str to Path
        The file written for each table.
    manifest_path : Path
        The manifest written last.
    shocks : tuple of ScheduledShock
        Every shock in the extract with the month it starts in (empty for
        :func:`generate`), as recorded in the manifest.
    """

    out_dir: Path
    as_of_date: dt.date
    row_counts: dict[str, int]
    seconds: float
    employees: int
    months: int
    seed: int
    start_date: dt.date
    file_format: str
    headcount_at_as_of: int
    files: dict[str, Path] = field(default_factory=dict)
    manifest_path: Path | None = None
    shocks: tuple[ScheduledShock, ...] = ()


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise GeneratorError(
            f"{name} must be a whole number between {low:,} and {high:,}; "
            f"got {value!r} ({type(value).__name__})"
        )
    value = int(value)
    if not low <= value <= high:
        raise GeneratorError(
            f"{name} must be between {low:,} and {high:,}; got {value:,}"
        )
    return value


def _check_start(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise GeneratorError(
            f"start_date must be a date (datetime.date) on the first of a month; "
            f"got {value!r}"
        )
    if value.day != 1:
        raise GeneratorError(
            f"start_date must be the first day of a month; got {value.isoformat()} "
            f"(try {value.replace(day=1).isoformat()})"
        )
    low, high = START_RANGE
    if not low <= value <= high:
        raise GeneratorError(
            f"start_date must be between {low.isoformat()} and {high.isoformat()}; "
            f"got {value.isoformat()}"
        )
    return value


def _check_format(value: Any) -> str:
    if value not in FORMATS:
        raise GeneratorError(
            f"file_format must be one of {', '.join(FORMATS)}; got {value!r}"
        )
    return str(value)


def _check_out_dir(out_dir: Any) -> Path:
    try:
        path = Path(out_dir)
    except TypeError as error:
        raise GeneratorError(
            f"out_dir must be a folder path; got {out_dir!r}"
        ) from error
    if path.exists() and not path.is_dir():
        raise GeneratorError(f"out_dir {str(path)!r} exists and is not a folder")
    return path


def simulate(
    employees: int,
    months: int,
    seed: int,
    start_date: dt.date,
    config: SimulationConfig = DEFAULT_CONFIG,
    record_panel: bool = False,
    shocks: Sequence[ScheduledShock] = (),
) -> SimulationResult:
    """Run the simulation in memory without writing anything.

    Parameters
    ----------
    employees, months, seed, start_date
        As for :func:`generate` (not validated here).
    config : SimulationConfig, optional
        Coefficients; the default is the documented ground truth.
    record_panel : bool, default False
        Also return one row per person-month at risk with the true drivers
        (``pay_gap``, ``years_in_level``, ...) and outcomes, for checking models.
    shocks : sequence of ScheduledShock, optional
        Known shocks and the months they start in (see :func:`advance`).

    Returns
    -------
    SimulationResult
        Integer-coded tables, the as-of day and, if asked, the panel.

    Raises
    ------
    GeneratorError
        A shock names an unknown department or division.
    """
    sim = Simulator(
        employees,
        seed,
        start_date,
        config,
        record_panel=record_panel,
        shocks=shocks,
    )
    populate(sim)
    return sim.run(months)


def generate(
    out_dir: Path,
    *,
    employees: int = 2000,
    months: int = 36,
    seed: int = 42,
    start_date: dt.date = dt.date(2023, 11, 1),
    file_format: Literal["parquet", "csv"] = "parquet",
) -> GenerationSummary:
    """Write a synthetic, Workday-style HRIS extract.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created if missing. Existing table files are replaced
        atomically (and a table's file in the other format is removed).
    employees : int, default 2000
        Headcount on ``start_date`` (10 to 1,000,000).
    months : int, default 36
        Months to simulate from ``start_date`` (1 to 240).
    seed : int, default 42
        Random seed (0 to 2**32 - 1). The same arguments give byte-identical files.
    start_date : datetime.date, default 2023-11-01
        First simulated day; must be the first of a month.
    file_format : {"parquet", "csv"}, default "parquet"
        File format of the tables.

    Returns
    -------
    GenerationSummary
        Folder, as-of date (the last day of the last month), row counts and timing.

    Raises
    ------
    GeneratorError
        An argument is out of range; the message names it and the allowed values.
    """
    began = time.perf_counter()
    employees = _check_int("employees", employees, *EMPLOYEES_RANGE)
    months = _check_int("months", months, *MONTHS_RANGE)
    seed = _check_int("seed", seed, *SEED_RANGE)
    start_date = _check_start(start_date)
    file_format = _check_format(file_format)
    out = _check_out_dir(out_dir)
    return _write_extract(
        out, employees, months, seed, start_date, file_format, (), began
    )


def _write_extract(
    out: Path,
    employees: int,
    months: int,
    seed: int,
    start_date: dt.date,
    file_format: str,
    shocks: Sequence[ScheduledShock],
    began: float,
) -> GenerationSummary:
    """Simulate and write the tables, then the manifest (arguments checked)."""
    result = simulate(employees, months, seed, start_date, shocks=shocks)
    out.mkdir(parents=True, exist_ok=True)
    counts = write_tables(result, employees, out, file_format)
    as_of = from_day(result.as_of_day)
    assert as_of == month_end(add_months(start_date, months - 1))
    headcount = int(result.workers["active"].sum())
    manifest = {
        "generator": GENERATOR_NAME,
        "generator_version": GENERATOR_VERSION,
        "parameters": {
            "employees": employees,
            "months": months,
            "seed": seed,
            "start_date": start_date.isoformat(),
            "file_format": file_format,
        },
        "as_of_date": as_of.isoformat(),
        "headcount_at_as_of": headcount,
        "row_counts": counts,
        "files": {t: f"{t}.{file_format}" for t in TABLES},
        "attrition_coefficients": asdict(DEFAULT_CONFIG.attrition),
        "involuntary_coefficients": asdict(DEFAULT_CONFIG.involuntary),
        "shocks": [shock.to_manifest() for shock in shocks],
    }
    manifest_path = out / MANIFEST_NAME
    write_json_atomic(manifest_path, manifest)
    return GenerationSummary(
        out_dir=out,
        as_of_date=as_of,
        row_counts=counts,
        seconds=time.perf_counter() - began,
        employees=employees,
        months=months,
        seed=seed,
        start_date=start_date,
        file_format=file_format,
        headcount_at_as_of=headcount,
        files={t: out / f"{t}.{file_format}" for t in TABLES},
        manifest_path=manifest_path,
        shocks=tuple(shocks),
    )


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """Read and check the ``_manifest.json`` of an extract folder.

    Parameters
    ----------
    out_dir : Path
        A folder written by :func:`generate`.

    Returns
    -------
    dict
        ``{"manifest": <the whole manifest>, "parameters": <its parameters>,
        "shocks": <list of ScheduledShock>}``; a manifest without a ``shocks``
        list (written before shocks existed) has none.

    Raises
    ------
    GeneratorError
        No manifest (run ``people-ml generate`` first), an unreadable one, one
        written by another generator version or a malformed ``shocks`` entry.
    """
    path = _check_out_dir(out_dir) / MANIFEST_NAME
    if not path.is_file():
        raise GeneratorError(
            f"No generator manifest ({MANIFEST_NAME}) in {str(Path(out_dir))!r}: "
            "run `people-ml generate` first to create the extract, then advance it."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        params = manifest["parameters"]
        version = manifest["generator_version"]
    except (ValueError, KeyError, TypeError) as error:
        raise GeneratorError(
            f"The manifest {str(path)!r} is unreadable ({error}); "
            "run `people-ml generate` again to rebuild the extract."
        ) from error
    if manifest.get("generator") != GENERATOR_NAME or version != GENERATOR_VERSION:
        raise GeneratorError(
            f"The extract in {str(Path(out_dir))!r} was written by "
            f"{manifest.get('generator')} {version}, not {GENERATOR_NAME} "
            f"{GENERATOR_VERSION}; run `people-ml generate` again to rebuild it."
        )
    return {
        "manifest": manifest,
        "parameters": params,
        "shocks": _recorded_shocks(manifest.get("shocks", []), path),
    }


def _recorded_shocks(entries: Any, path: Path) -> list[ScheduledShock]:
    """The manifest's ``shocks`` list, parsed (start months checked later)."""
    fix = (
        "each entry must look like "
        '{"shock": "pay-cut:Sales:10", "start_month": "2026-11-01"}: correct it, '
        "or run `people-ml generate` again to rebuild the extract"
    )
    if not isinstance(entries, list):
        raise GeneratorError(f"The manifest {str(path)!r}: shocks is not a list; {fix}")
    recorded = []
    for entry in entries:
        try:
            shock = parse_shock(entry["shock"])
            start = dt.date.fromisoformat(entry["start_month"])
        except (KeyError, TypeError, ValueError) as error:
            raise GeneratorError(
                f"The manifest {str(path)!r} has a bad shocks entry {entry!r} "
                f"({error}); {fix}"
            ) from error
        recorded.append(ScheduledShock(shock, start))
    return recorded


def advance(
    out_dir: Path, *, months: int, shocks: Sequence[str] = ()
) -> GenerationSummary:
    """Move an existing extract forward by ``months`` months, optionally with shocks.

    The extract is re-simulated from its manifest with the same seed and
    ``months + N`` months, so every row dated on or before the old as-of date is
    unchanged (only ``workers.hire_date`` moves for people rehired later) and the new
    months are added. Every shock recorded in the manifest is replayed in its
    month.

    Parameters
    ----------
    out_dir : Path
        A folder written by :func:`generate` (it holds ``_manifest.json``).
    months : int
        Months to add (at least 1; the total may not exceed 240).
    shocks : sequence of str, optional
        Known shocks, each written ``KIND:ARGS``, that start on the first day of
        the first new month and are recorded in the manifest (with that month),
        so that later advances replay them. Nothing dated before that month
        changes. The kinds:

        ``rename-department:OLD=NEW``
            The department OLD, and the department prefix of its teams' names,
            is called NEW. ``org_units`` holds current names only (no history,
            like an HRIS export), so NEW replaces OLD throughout the extract.
        ``pay-cut:DIVISION:PERCENT``
            Every worker active in the division on the 1st gets base salary cut
            by PERCENT % (above 0, at most 50; a ``market_adjustment`` row) and
            no January top-up to the band minimum for 12 months; merit and
            promotion raises continue on the lower base.
        ``hiring-wave:COUNT``
            COUNT extra external hires in the month, spread over teams by their
            planned size (at most the starting headcount); the headcount plan
            grows by COUNT.

    Returns
    -------
    GenerationSummary
        As for :func:`generate`, with the new as-of date and every shock.

    Raises
    ------
    GeneratorError
        No manifest in the folder (run ``people-ml generate`` first), a bad
        ``months``, a total beyond 240 months, a malformed shock (the message
        shows the syntax) or one naming an unknown department or division (the
        message lists the valid names). Nothing is written then.

    Examples
    --------
    >>> advance("extract", months=3, shocks=["pay-cut:Sales:10"])  # doctest: +SKIP
    """
    began = time.perf_counter()
    if isinstance(months, bool) or not isinstance(months, numbers.Integral):
        raise GeneratorError(
            f"months must be a whole number of at least 1; got {months!r}"
        )
    if months < 1:
        raise GeneratorError(f"months must be at least 1; got {months}")
    if isinstance(shocks, str):
        raise GeneratorError(
            f"shocks must be a list of shocks, not one string; write "
            f"shocks=[{shocks!r}]"
        )
    new = [parse_shock(text) for text in shocks]
    read = read_manifest(out_dir)
    params = read["parameters"]
    total = int(params["months"]) + int(months)
    if total > MONTHS_RANGE[1]:
        raise GeneratorError(
            f"months: the extract already covers {params['months']} months; adding "
            f"{months} would make {total}, above the maximum of {MONTHS_RANGE[1]}"
        )
    try:
        start = dt.date.fromisoformat(params["start_date"])
        employees = _check_int("employees", params["employees"], *EMPLOYEES_RANGE)
        seed = _check_int("seed", params["seed"], *SEED_RANGE)
        file_format = _check_format(params["file_format"])
        start = _check_start(start)
    except (KeyError, TypeError, ValueError) as error:
        raise GeneratorError(
            f"The manifest has bad parameters ({error}); run `people-ml generate` "
            "again."
        ) from error
    recorded = read["shocks"]
    first_new = add_months(start, int(params["months"]))
    schedule = [*recorded, *(ScheduledShock(shock, first_new) for shock in new)]
    # check every name before simulating or writing anything
    plan_shocks(
        schedule, organisation(employees, seed), start, employees, len(recorded)
    )
    return _write_extract(
        Path(out_dir), employees, total, seed, start, file_format, schedule, began
    )
