"""Orphaned ml_store rows: found, reported and removed only when asked.

A real DuckDB file holds the ``ml_store`` tables made from the contract and one
run table with one recorded run; the other runs' rows are what a build killed
before its run record leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from people_ml.ledger.contract import STORE_SCHEMA, STORE_TABLES
from people_ml.ledger.store import (
    OrphanError,
    describe_orphans,
    find_orphans,
    remove_orphans,
)

RECORDED = "aaaa1111recorded"
ORPHAN_1 = "bbbb2222orphan01"
ORPHAN_2 = "cccc3333orphan02"
# Rows each run left per table (table: {run_id: rows}).
ROWS = {
    "predictions": {RECORDED: 4, ORPHAN_1: 3, ORPHAN_2: 2},
    "shap_values": {RECORDED: 8, ORPHAN_1: 6},
    "metrics": {RECORDED: 2, ORPHAN_2: 1},
    "feature_profiles": {RECORDED: 2},
    "warnings": {},
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, run_id: str, n: int) -> None:
    """``n`` rows of ``run_id`` (text columns filled, the rest null)."""
    columns = STORE_TABLES[table].columns
    placeholders = ", ".join("?" for _ in columns)
    for index in range(n):
        values = [
            None if column.sql_type != "string" else f"{column.name}-{index}"
            for column in columns
        ]
        values[0] = run_id
        con.execute(
            f"insert into {STORE_SCHEMA}.{table} values ({placeholders})", values
        )


def _create_store(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema {STORE_SCHEMA}")
    for table in STORE_TABLES.values():
        con.execute(table.ddl())


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse with one recorded run and two runs stopped before recording."""
    with duckdb.connect(str(tmp_path / "people_ml.duckdb")) as con:
        _create_store(con)
        con.execute("create schema ml")
        con.execute(
            "create table ml.ml_attrition_runs (run_id string, run_number bigint)"
        )
        con.execute("insert into ml.ml_attrition_runs values (?, 1)", [RECORDED])
        for table, runs in ROWS.items():
            for run_id, n in runs.items():
                _insert(con, table, run_id, n)
        yield con


def _counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    return {
        (table, run_id): n
        for table in STORE_TABLES
        for run_id, n in con.execute(
            f"select run_id, count(*) from {STORE_SCHEMA}.{table} group by 1"
        ).fetchall()
    }


def test_orphans_are_found_per_run_and_table_with_their_counts(con) -> None:
    frame = find_orphans(con)
    assert list(frame.columns) == ["run_id", "table", "row_count"]
    assert list(frame.itertuples(index=False, name=None)) == [
        (ORPHAN_1, "predictions", 3),
        (ORPHAN_1, "shap_values", 6),
        (ORPHAN_2, "predictions", 2),
        (ORPHAN_2, "metrics", 1),
    ]
    assert RECORDED not in set(frame["run_id"])  # a recorded run is never an orphan


def test_a_run_recorded_in_any_run_table_is_not_an_orphan(con) -> None:
    con.execute("create table ml.ml_expected_pay_runs (run_id string)")
    con.execute("insert into ml.ml_expected_pay_runs values (?)", [ORPHAN_2])
    # Not a run table: its name does not end in _runs.
    con.execute("create table ml.run_notes (run_id string)")
    con.execute("insert into ml.run_notes values (?)", [ORPHAN_1])
    assert set(find_orphans(con)["run_id"]) == {ORPHAN_1}


def test_the_report_names_each_run_its_rows_and_the_command(con) -> None:
    report = describe_orphans(find_orphans(con))
    assert report.splitlines() == [
        "2 runs left outputs without a run record (a build stopped before it "
        "finished):",
        f"  run {ORPHAN_1[:12]}: predictions 3 rows, shap_values 6 rows",
        f"  run {ORPHAN_2[:12]}: predictions 2 rows, metrics 1 row",
        "No mart shows them. Remove them with `people-ml orphans --remove` "
        "(or name runs: `people-ml orphans --remove RUN_ID ...`).",
    ]


def test_thousands_are_grouped_in_the_report() -> None:
    frame = pd.DataFrame(
        [("abc", "shap_values", 8000)], columns=["run_id", "table", "row_count"]
    )
    assert "1 run left outputs" in describe_orphans(frame)
    assert "shap_values 8,000 rows" in describe_orphans(frame)


def test_removing_all_orphans_keeps_every_recorded_row(con) -> None:
    before = _counts(con)
    deleted = remove_orphans(con)
    assert deleted == {"predictions": 5, "shap_values": 6, "metrics": 1}
    after = _counts(con)
    assert after == {key: n for key, n in before.items() if key[1] == RECORDED}
    assert find_orphans(con).empty
    assert describe_orphans(find_orphans(con)) == "No orphaned ml_store rows."
    assert remove_orphans(con) == {}  # nothing left to remove


def test_removing_selected_orphans_leaves_the_others(con) -> None:
    deleted = remove_orphans(con, [ORPHAN_1[:6]])  # a unique prefix will do
    assert deleted == {"predictions": 3, "shap_values": 6}
    assert set(find_orphans(con)["run_id"]) == {ORPHAN_2}
    assert remove_orphans(con, [ORPHAN_2]) == {"predictions": 2, "metrics": 1}
    assert find_orphans(con).empty


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (RECORDED, f"run {RECORDED} has a run record"),
        (RECORDED[:6], "has a run record"),
        ("dddd4444", "run dddd4444 is not an orphan"),
        ("", "give a run id"),
    ],
)
def test_a_run_id_that_is_not_an_orphan_is_refused_and_nothing_deleted(
    con, given: str, message: str
) -> None:
    before = _counts(con)
    with pytest.raises(OrphanError, match=message) as refused:
        remove_orphans(con, [ORPHAN_1, given])  # the valid one is not removed either
    assert isinstance(refused.value, ValueError)
    assert _counts(con) == before


def test_an_ambiguous_prefix_is_refused(con) -> None:
    _insert(con, "predictions", "bbbb2222other", 1)
    with pytest.raises(OrphanError, match="ambiguous"):
        remove_orphans(con, ["bbbb"])


def test_without_an_ml_schema_every_store_row_is_an_orphan(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert find_orphans(con).empty  # nothing created yet
        _create_store(con)
        assert find_orphans(con).empty
        _insert(con, "warnings", ORPHAN_1, 2)
        assert list(find_orphans(con).itertuples(index=False, name=None)) == [
            (ORPHAN_1, "warnings", 2)
        ]
        assert remove_orphans(con) == {"warnings": 2}


def test_missing_store_tables_are_read_as_empty(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute(f"create schema {STORE_SCHEMA}")
        con.execute(STORE_TABLES["metrics"].ddl())
        con.execute("create schema ml")
        _insert(con, "metrics", ORPHAN_1, 1)
        assert find_orphans(con)["table"].tolist() == ["metrics"]
        assert remove_orphans(con, [ORPHAN_1]) == {"metrics": 1}
