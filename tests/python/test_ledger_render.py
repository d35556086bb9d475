"""One home for the contract and the rules: every other copy is checked here.

The generated macros and source YAML must be what the ledger renders now; the
tables a real build creates must have the contract's columns; the status
lists in the dbt YAML must be the ledger's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, Project

from people_ml import ledger
from people_ml.ledger import render
from people_ml.ledger.contract import RUN_RECORD, STORE_TABLES

# What DuckDB reports for each contract type; pandas has no date dtype, so a
# run record's dates land as timestamps (int_ml_runs_unioned casts them).
DUCKDB_TYPES = {
    "string": {"VARCHAR"},
    "double": {"DOUBLE"},
    "bigint": {"BIGINT"},
    "integer": {"INTEGER"},
    "boolean": {"BOOLEAN"},
    "date": {"DATE", "TIMESTAMP"},
    "timestamp": {"TIMESTAMP"},
}


@pytest.mark.parametrize("relative", list(render.GENERATED), ids=str)
def test_generated_files_are_current(relative: Path) -> None:
    committed = (REPO_ROOT / relative).read_text(encoding="utf-8")
    assert committed == render.GENERATED[relative](), (
        f"{relative} is out of date: run `python -m people_ml.ledger.render`"
    )


def test_the_rendered_transitions_are_the_ledgers() -> None:
    text = render.render_macros()
    for from_status, to_status, actor, rule, prefix in ledger.transition_matrix():
        expected = (
            f"'{from_status}' as from_status, '{to_status}' as to_status, "
            f"'{actor}' as actor_kind, "
            + (f"'{rule}'" if rule else "cast(null as string)")
            + " as rule_code, "
            + (f"'{prefix}'" if prefix else "cast(null as string)")
        )
        assert expected in text


def _columns(project: Project, schema: str, table: str) -> dict[str, str]:
    return dict(
        project.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{table}' "
            "order by ordinal_position"
        )
    )


@pytest.mark.dbt
@pytest.mark.parametrize("table", list(STORE_TABLES))
def test_a_build_creates_the_store_tables_of_the_contract(
    built_project: Project, table: str
) -> None:
    columns = _columns(built_project, "ml_store", table)
    contract = STORE_TABLES[table]
    assert list(columns) == list(contract.column_names)
    for column in contract.columns:
        assert columns[column.name] in DUCKDB_TYPES[column.sql_type], column.name


@pytest.mark.dbt
@pytest.mark.parametrize("table", ["ml_attrition_runs", "ml_expected_pay_runs"])
def test_run_tables_hold_the_run_record_of_the_contract(
    built_project: Project, table: str
) -> None:
    columns = _columns(built_project, "ml", table)
    assert list(columns) == list(RUN_RECORD.column_names)
    for column in RUN_RECORD.columns:
        assert columns[column.name] in DUCKDB_TYPES[column.sql_type], column.name


def _yaml(relative: str) -> dict:
    return yaml.safe_load((REPO_ROOT / relative).read_text())


def _accepted(models: dict, model: str, column: str) -> list[str]:
    [node] = [m for m in models["models"] if m["name"] == model]
    [col] = [c for c in node["columns"] if c["name"] == column]
    for test in col["data_tests"]:
        if isinstance(test, dict) and "accepted_values" in test:
            return test["accepted_values"]["arguments"]["values"]
    raise AssertionError(f"{model}.{column} has no accepted_values test")


def test_status_lists_in_the_dbt_yaml_are_the_ledgers() -> None:
    intermediate = _yaml("models/intermediate/ml/_ml__models.yml")
    assert _accepted(intermediate, "int_ml_run_statuses", "status") == list(
        ledger.STATUSES
    )
    decided = [s for s in ledger.STATUSES if s != "pending"]
    log = _yaml("python_models/ledger/_ledger__models.yml")
    assert _accepted(log, "ml_decision_log", "status") == decided


def test_the_run_models_document_contract_columns_only() -> None:
    models = _yaml("python_models/ml/_ml__models.yml")["models"]
    for model in models:
        names = {column["name"] for column in model["columns"]}
        assert names <= set(RUN_RECORD.column_names), model["name"]


def test_the_union_of_run_tables_reads_contract_columns_only() -> None:
    sql = (REPO_ROOT / "models/intermediate/ml/int_ml_runs_unioned.sql").read_text()
    body = sql[sql.index("select\n") : sql.index("from {{ run_model }}")]
    read = {
        token.strip(",").split("(")[-1]
        for token in body.replace(")", " ").split()
        if token.strip(",").isidentifier() or "(" in token
    }
    unknown = {
        name
        for name in read
        if name.isidentifier()
        and name not in RUN_RECORD.column_names
        and name not in {"select", "as", "coalesce", "cast", "false", "date"}
    }
    assert not unknown, unknown
