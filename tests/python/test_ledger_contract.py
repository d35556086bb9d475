"""The pandas side of the run-output contract: ``conform`` casts frames to it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from people_ml.ledger.contract import (
    RUN_RECORD,
    STORE_TABLES,
    Column,
    ContractError,
    Table,
    conform,
)

EVERY_TYPE = Table(
    "every_type",
    "One column of each contract type.",
    (
        Column("s", "string", "text"),
        Column("d", "double", "double"),
        Column("b", "bigint", "bigint"),
        Column("i", "integer", "integer"),
        Column("f", "boolean", "flag"),
        Column("day", "date", "date"),
        Column("at", "timestamp", "timestamp"),
    ),
)


def test_conform_casts_every_type_and_keeps_missing_as_na():
    frame = pd.DataFrame(
        {
            "at": ["2024-01-31T10:00:00", None],
            "day": [pd.Timestamp("2024-01-31"), pd.NaT],
            "f": [True, None],
            "i": [1.0, np.nan],
            "b": [3, None],
            "d": [0.5, np.nan],
            "s": ["x", None],
        }
    )
    before = frame.copy()
    out = conform(frame, EVERY_TYPE)
    assert tuple(out.columns) == EVERY_TYPE.column_names  # contract order
    assert {c: str(t) for c, t in out.dtypes.items()} == {
        "s": "string",
        "d": "Float64",
        "b": "Int64",
        "i": "Int32",
        "f": "boolean",
        "day": "datetime64[us]",
        "at": "datetime64[us]",
    }
    assert out.loc[0, "s"] == "x" and out.loc[1, "s"] is pd.NA
    for col in ("d", "b", "i", "f"):
        assert out.loc[1, col] is pd.NA, col
    assert out.loc[0, "at"] == pd.Timestamp("2024-01-31 10:00")
    assert pd.isna(out.loc[1, "day"]) and pd.isna(out.loc[1, "at"])
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified


def test_conform_renders_non_text_values_as_text():
    table = Table("t", "t", (Column("s", "string", "text"),))
    out = conform(pd.DataFrame({"s": [1, np.nan, "a"]}, dtype=object), table)
    assert out["s"].tolist()[0] == "1" and out["s"].tolist()[2] == "a"
    assert out["s"].isna().tolist() == [False, True, False]


def test_conform_timestamps_with_a_zone_become_utc_without_zone():
    table = Table("t", "t", (Column("at", "timestamp", "t"),))
    frame = pd.DataFrame({"at": [pd.Timestamp("2024-01-31 12:00", tz="Europe/Paris")]})
    out = conform(frame, table)
    assert str(out["at"].dtype) == "datetime64[us]"
    assert out.loc[0, "at"] == pd.Timestamp("2024-01-31 11:00")


def test_conform_names_missing_and_unexpected_columns():
    table = STORE_TABLES["warnings"]
    frame = pd.DataFrame(
        {"run_id": ["r"], "severity": ["info"], "msg": ["m"], "extra": [1]}
    )
    with pytest.raises(ContractError) as info:
        conform(frame, table)
    message = str(info.value)
    assert "warnings" in message
    assert "missing ['code', 'message']" in message
    assert "unexpected ['extra', 'msg']" in message
    assert isinstance(info.value, ValueError)


def test_conform_names_the_column_that_cannot_be_cast():
    table = STORE_TABLES["metrics"]
    frame = pd.DataFrame(
        {
            "run_id": ["r"],
            "split": ["test"],
            "metric": ["auc"],
            "class_label": [None],
            "value": ["not a number"],
        }
    )
    with pytest.raises(ContractError, match=r"metrics\.value.*Float64"):
        conform(frame, table)


@pytest.mark.parametrize("name", sorted(STORE_TABLES))
def test_conform_accepts_an_empty_frame_of_every_store_table(name):
    table = STORE_TABLES[name]
    out = conform(pd.DataFrame(columns=list(table.column_names)), table)
    assert out.empty and tuple(out.columns) == table.column_names
    assert [str(t) for t in out.dtypes] == [c.pandas_dtype for c in table.columns]


def test_conform_accepts_the_run_record():
    values = {c.name: None for c in RUN_RECORD.columns}
    values.update(run_id="r", created_at=pd.Timestamp("2024-01-01"), n_train_rows=3)
    out = conform(pd.DataFrame([values]), RUN_RECORD)
    assert out.loc[0, "n_train_rows"] == 3 and out.loc[0, "model_key"] is pd.NA


def test_contract_imports_without_the_ml_package():
    code = (
        "import sys, people_ml.ledger.contract as c; "
        "assert not any(m.startswith('people_ml.ml') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('people_ml'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
