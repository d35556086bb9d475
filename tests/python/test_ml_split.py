"""Time-aware split: boundaries, embargo, predict set and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_ml_support import SPEC_BASE, make_panel

from people_ml.ml import DataError, MLModelSpec, SplitError, time_split


def _spec(**overrides):
    return MLModelSpec.from_config(
        {**SPEC_BASE, "problem_type": "binary_classification", **overrides}
    )


@pytest.mark.parametrize(
    ("horizon", "cutoff", "train_end", "n_train_dates"),
    [
        (12, "2021-11-30", "2021-11-30", 11),
        (6, "2022-05-31", "2022-05-31", 17),
        (1, "2022-10-31", "2022-10-31", 22),
        (0, "2022-11-30", "2022-10-31", 22),
    ],
)
def test_boundaries_exact(horizon, cutoff, train_end, n_train_dates):
    frame = make_panel(n_entities=20, n_months=24, start="2021-01-31")
    train, test, predict, b = time_split(frame, _spec(label_horizon_months=horizon))
    assert b.predict_date == pd.Timestamp("2022-12-31")
    assert b.test_date == pd.Timestamp("2022-11-30")
    assert b.train_cutoff == pd.Timestamp(cutoff)
    assert b.train_start == pd.Timestamp("2021-01-31")
    assert b.train_end == pd.Timestamp(train_end)
    assert b.n_train == len(train) == 20 * n_train_dates
    assert b.n_test == len(test) == 20
    assert b.n_predict == len(predict) == 20
    assert b.n_unused == 20 * (24 - 2 - n_train_dates)
    assert train["sample_date"].max() == b.train_end
    # the embargo: no training label resolves after the test date
    latest_resolution = train["sample_date"].max() + pd.DateOffset(months=horizon)
    assert latest_resolution <= b.test_date
    assert predict["target"].isna().all()
    assert test["target"].notna().all()
    assert (predict["sample_date"] == b.predict_date).all()


def test_unlabelled_rows_before_predict_date_are_unused():
    frame = make_panel(n_entities=20, n_months=24)
    early = frame["sample_date"] == frame["sample_date"].min()
    frame.loc[early & (frame["worker_id"] < 1005), "target"] = np.nan
    train, _, _predict, b = time_split(frame, _spec())
    assert train["target"].notna().all()
    assert b.n_predict == 20
    assert b.n_train == 20 * 11 - 5


def test_no_predict_rows():
    frame = make_panel(n_entities=20, n_months=24).fillna({"target": 0.0})
    with pytest.raises(SplitError, match="no rows to predict"):
        time_split(frame, _spec())


def test_no_labelled_rows():
    frame = make_panel(n_entities=20, n_months=24)
    frame["target"] = np.nan
    with pytest.raises(SplitError, match="no labelled rows"):
        time_split(frame, _spec())
    _, test, predict, b = time_split(frame, _spec(), require_training=False)
    assert test.empty and b.test_date is None and len(predict) == 20


def test_empty_training_period_names_dates_and_fix():
    frame = make_panel(n_entities=20, n_months=10)
    with pytest.raises(SplitError, match=r"empty training period.*2021-09-30"):
        time_split(frame, _spec(label_horizon_months=12))


def test_single_class_in_training():
    frame = make_panel(n_entities=20, n_months=24)
    frame.loc[frame["target"].notna(), "target"] = 0.0
    with pytest.raises(SplitError, match="single class"):
        time_split(frame, _spec())


def test_duplicate_entity_dates_refused():
    frame = make_panel(n_entities=20, n_months=24)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="duplicated"):
        time_split(frame, _spec())


def test_missing_contract_column():
    frame = make_panel(n_entities=20, n_months=24).drop(columns=["sample_date"])
    with pytest.raises(DataError, match="sample_date"):
        time_split(frame, _spec())
