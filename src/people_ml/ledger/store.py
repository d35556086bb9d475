"""Orphaned run outputs: ``ml_store`` rows whose run was never recorded.

A run writes its outputs to the ``ml_store`` tables first and its run record
(the commit marker) to its ML model's run table last. A build stopped in
between (killed, out of memory, a failed write) leaves rows that no run
record owns: no mart shows them and no decision can reach them. They are
reported here and removed only when asked, never silently.

A build in progress is never mistaken for one: on DuckDB it holds the
warehouse file for its whole length, so nothing else can open it meanwhile.
On an engine without that lock, look for orphans only between builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .contract import STORE_SCHEMA, STORE_TABLES
from .records import RUN_SCHEMA, run_tables

__all__ = [
    "ORPHAN_COLUMNS",
    "OrphanError",
    "describe_orphans",
    "find_orphans",
    "remove_orphans",
]

#: The columns of :func:`find_orphans`' frame.
ORPHAN_COLUMNS = ("run_id", "table", "row_count")
# Run ids are shown as `people-ml runs` shows them; any unique prefix works.
_SHOWN_ID_LENGTH = 12


class OrphanError(ValueError):
    """A run id given for removal that is not an orphan, with what to do."""


def find_orphans(con: Any) -> pd.DataFrame:
    """Find the ``ml_store`` rows whose run has no run record.

    A run id is recorded when any run table (``ml.*_runs``) holds it. Tables
    not created yet (no ``ml`` schema, no ``ml_store`` schema, or only some
    of their tables) are read as empty.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection to the warehouse (read-only is enough).

    Returns
    -------
    pandas.DataFrame
        One row per orphaned run id and ``ml_store`` table holding its rows:
        ``run_id``, ``table`` and ``row_count``, ordered by run id and then
        in the contract's table order. Empty (with those columns) when every
        row has its run record.
    """
    tables = _store_tables(con)
    if not tables:
        return _frame([])
    recorded = _recorded_ids_sql(con)
    parts = [
        f"select cast(run_id as varchar) as run_id, {position} as position, "
        f"'{table}' as table_name, count(*) as row_count "
        f'from "{STORE_SCHEMA}"."{table}" as store '
        "where run_id is not null and not exists ("
        f"select 1 from ({recorded}) as recorded "
        "where recorded.run_id = cast(store.run_id as varchar)) "
        "group by 1"
        for position, table in enumerate(tables)
    ]
    rows = con.execute(
        "select run_id, table_name, row_count from ("
        + " union all ".join(parts)
        + ") order by run_id, position"
    ).fetchall()
    return _frame(rows)


def remove_orphans(con: Any, run_ids: Sequence[str] | None = None) -> dict[str, int]:
    """Delete orphaned ``ml_store`` rows, in one transaction.

    Only rows that no run record owns are deleted, whatever is asked: the
    delete statements themselves exclude every recorded run id.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A read-write connection to the warehouse, not inside a transaction.
    run_ids : sequence of str, optional
        The orphaned runs to remove, each by its id or a unique prefix of it
        (as :func:`describe_orphans` and ``people-ml runs`` show them). By
        default every orphan is removed.

    Returns
    -------
    dict of str to int
        Rows deleted per ``ml_store`` table, for the tables that lost rows
        (empty when there was nothing to remove).

    Raises
    ------
    OrphanError
        When a given run id is not an orphan: it has a run record, it matches
        no ``ml_store`` rows, or its prefix matches several runs. Nothing is
        deleted then.
    """
    con.execute("begin transaction")
    try:
        orphans = find_orphans(con)
        orphan_ids = list(dict.fromkeys(orphans["run_id"]))
        if run_ids is None:
            chosen = orphan_ids
        else:
            chosen = list(
                dict.fromkeys(_resolve(con, run_id, orphan_ids) for run_id in run_ids)
            )
        deleted: dict[str, int] = {}
        if chosen:
            recorded = _recorded_ids_sql(con)
            for table in _store_tables(con):
                (count,) = con.execute(
                    f'delete from "{STORE_SCHEMA}"."{table}" as store '
                    "where cast(store.run_id as varchar) in (select unnest(?)) "
                    f"and not exists (select 1 from ({recorded}) as recorded "
                    "where recorded.run_id = cast(store.run_id as varchar))",
                    [chosen],
                ).fetchone()
                if count:
                    deleted[table] = int(count)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return deleted


def describe_orphans(frame: pd.DataFrame) -> str:
    """A short plain-text report of :func:`find_orphans`' frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`find_orphans` returned.

    Returns
    -------
    str
        One line per orphaned run with its rows per table, and how to remove
        them; or a line saying there are none.
    """
    if frame.empty:
        return "No orphaned ml_store rows."
    runs = list(dict.fromkeys(frame["run_id"]))
    noun = "run" if len(runs) == 1 else "runs"
    lines = [
        f"{len(runs)} {noun} left outputs without a run record "
        "(a build stopped before it finished):"
    ]
    for run_id in runs:
        rows = frame[frame["run_id"] == run_id]
        counts = ", ".join(
            f"{table} {int(count):,} {'row' if count == 1 else 'rows'}"
            for table, count in zip(rows["table"], rows["row_count"], strict=True)
        )
        lines.append(f"  run {run_id[:_SHOWN_ID_LENGTH]}: {counts}")
    lines.append(
        "No mart shows them. Remove them with `people-ml orphans --remove` "
        "(or name runs: `people-ml orphans --remove RUN_ID ...`)."
    )
    return "\n".join(lines)


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ORPHAN_COLUMNS))
    return frame.astype({"run_id": "string", "table": "string", "row_count": "int64"})


def _store_tables(con: Any) -> list[str]:
    """The contract's ``ml_store`` tables that exist, in contract order."""
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [STORE_SCHEMA],
        ).fetchall()
    }
    return [table for table in STORE_TABLES if table in present]


def _recorded_ids_sql(con: Any) -> str:
    """A query of every recorded run id (one column, ``run_id``)."""
    selects = [
        f'select cast(run_id as varchar) as run_id from "{RUN_SCHEMA}"."{table}"'
        for table in run_tables(con)
    ]
    return (
        " union ".join(selects)
        if selects
        else "select cast(null as varchar) as run_id where false"
    )


def _resolve(con: Any, given: str, orphan_ids: list[str]) -> str:
    """The orphaned run ``given`` names (its id or a unique prefix)."""
    prefix = given.strip()
    if not prefix:
        raise OrphanError("give a run id (or a unique prefix of one) to remove")
    recorded = [
        row[0]
        for row in con.execute(
            f"select run_id from ({_recorded_ids_sql(con)}) "
            "where starts_with(run_id, ?) order by 1",
            [prefix],
        ).fetchall()
    ]
    orphans = [run_id for run_id in orphan_ids if run_id.startswith(prefix)]
    if prefix in orphans:
        return prefix
    if prefix in recorded:
        raise OrphanError(
            f"run {given} has a run record, so its ml_store rows are not "
            "orphans: they are never removed here (`people-ml runs` shows it)."
        )
    matches = orphans + recorded
    if not matches:
        raise OrphanError(
            f"run {given} is not an orphan: no ml_store rows without a run record "
            "have that id (`people-ml orphans` lists them)."
        )
    if len(matches) > 1:
        listed = ", ".join(run_id[:_SHOWN_ID_LENGTH] for run_id in matches[:5])
        raise OrphanError(
            f"run id prefix {given!r} is ambiguous: it matches {listed}; "
            "give more characters."
        )
    if recorded:
        raise OrphanError(
            f"run {given} ({recorded[0]}) has a run record, so its ml_store rows "
            "are not orphans: they are never removed here."
        )
    return orphans[0]
