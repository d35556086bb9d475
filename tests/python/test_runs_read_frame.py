"""`people_ml.runs.read_frame`: an ML run's frame, as DuckDB's .df() gives it."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import Project

from people_ml.ml._order import in_order, row_order
from people_ml.runs import read_frame

_VALUES = """
    select * from (values
        ('w2', date '2021-01-31', 1::int, 2::int, true, false, 1.5::decimal(10, 2),
         'a', timestamp '2021-01-31 10:00:00', 7::bigint, 0.5::double),
        ('w10', date '2021-02-28', null, 3::int, null, true, 2.25::decimal(10, 2),
         null, null, 8::bigint, null),
        ('w1', date '2021-01-31', 3::int, 4::int, false, true, null,
         'ü', timestamp '2021-03-31 00:00:00', 9::bigint, 1.0::double)
    ) as t(worker_id, sample_date, with_null, no_null, flag_null, flag, amount,
           label, stamp, big, ratio)
"""


def test_read_frame_gives_the_dtypes_and_values_of_df() -> None:
    with duckdb.connect() as con:
        expected = con.sql(_VALUES).df()
        actual = read_frame(con.sql(_VALUES))
    pd.testing.assert_frame_equal(actual, expected)
    assert str(actual["with_null"].dtype) == "Int32"
    assert str(actual["no_null"].dtype) == "int32"
    assert str(actual["flag_null"].dtype) == "boolean"
    assert str(actual["sample_date"].dtype) == "datetime64[us]"


def test_read_frame_orders_as_the_run_does() -> None:
    with duckdb.connect() as con:
        ordered = read_frame(con.sql(_VALUES), order_by=("worker_id", "sample_date"))
        unordered = con.sql(_VALUES).df()
    assert list(ordered["worker_id"]) == ["w1", "w10", "w2"]
    # Already in order: the run's sort keeps the very frame, no copy.
    assert in_order(ordered, "worker_id", "sample_date") is ordered
    resorted = in_order(unordered, "worker_id", "sample_date")
    assert resorted is not unordered
    pd.testing.assert_frame_equal(resorted, ordered)


def test_read_frame_gives_each_text_column_in_one_piece() -> None:
    # DuckDB hands Arrow a chunk per 122,880 rows; a chunked text column is
    # copied whole each time rows are selected from it (0.5 GB more at the
    # peak of a 100,000-employee run).
    sql = "select 'w' || i::varchar as worker_id, i from range(300000) t(i)"
    with duckdb.connect() as con:
        assert con.sql(sql).to_arrow_table()["worker_id"].num_chunks > 1
        frame = read_frame(con.sql(sql))
    assert frame["worker_id"].array.__arrow_array__().num_chunks == 1
    assert frame["worker_id"].iloc[299999] == "w299999"


def test_row_order_is_stable_on_ties() -> None:
    frame = pd.DataFrame(
        {
            "worker_id": ["b", "a", "b", "a"],
            "sample_date": pd.to_datetime(["2021-01-31"] * 4),
            "row": [0, 1, 2, 3],
        }
    )
    order = row_order(frame, "worker_id", "sample_date")
    assert list(frame["row"].to_numpy()[order]) == [1, 3, 0, 2]


@pytest.mark.parametrize(
    "model", ["int_attrition_person_months_labelled", "int_pay_samples_labelled"]
)
def test_the_feature_models_read_as_df_reads_them(
    built_project: Project, model: str
) -> None:
    sql = f"select * from intermediate.{model}"
    with duckdb.connect(str(built_project.warehouse), read_only=True) as con:
        expected = con.sql(sql).df()
        actual = read_frame(con.sql(sql))
    pd.testing.assert_frame_equal(actual, expected)
