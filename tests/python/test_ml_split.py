"""Time-aware split: boundaries, embargo, predict set and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_ml_support import SPEC_BASE, make_panel

from people_ml.ml import (
    DataError,
    MLModelSpec,
    SpecError,
    SplitError,
    holdout_split,
    time_split,
)


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


# --- split: holdout (flat exports) -----------------------------------------


def _flat(n: int = 400, leavers: int = 80, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, leavers, replace=False)] = 1
    return pd.DataFrame(
        {
            "person": [f"P{i:04d}" for i in range(n)],
            "export_date": pd.Timestamp("2024-06-30"),
            "left": y,
            "x": rng.normal(size=n),
        }
    )


def _holdout_spec(**overrides: object) -> MLModelSpec:
    return MLModelSpec.from_config(
        {
            "key": "flat",
            "problem_type": "binary_classification",
            "entity_id": "person",
            "sample_date": "export_date",
            "target": "left",
            "label_horizon_months": 0,
            "split": "holdout",
            "predict_rows": "negative_class",
            **overrides,
        }
    )


def test_holdout_holds_out_the_test_share_of_each_class() -> None:
    frame = _flat()
    split = holdout_split(frame, _holdout_spec(test_share=0.25))
    assert len(split.test) == 100
    assert int(split.test["left"].sum()) == 20  # a quarter of the 80 leavers
    assert len(split.train) == 300
    assert set(split.train["person"]).isdisjoint(split.test["person"])
    # negative_class: the 320 people still employed are scored.
    assert len(split.predict) == 320 and not split.predict["left"].any()
    assert split.boundaries.train_cutoff is None


def test_holdout_keeps_a_person_on_one_side_and_in_any_row_order() -> None:
    frame = _flat()
    again = frame.assign(export_date=pd.Timestamp("2023-06-30"))
    panel = pd.concat([frame, again], ignore_index=True)
    spec = _holdout_spec()
    split = holdout_split(panel, spec)
    assert set(split.train["person"]).isdisjoint(split.test["person"])
    shuffled = holdout_split(panel.sample(frac=1.0, random_state=1), spec)
    assert set(shuffled.test["person"]) == set(split.test["person"])
    other_seed = holdout_split(panel, _holdout_spec(random_state=9))
    assert set(other_seed.test["person"]) != set(split.test["person"])


def test_holdout_keeps_people_on_their_side_when_people_join() -> None:
    frame = _flat()
    spec = _holdout_spec()
    before = set(holdout_split(frame, spec).test["person"])
    joined = pd.concat(
        [frame, _flat(20, 4, seed=5).assign(person=lambda f: "N" + f["person"])],
        ignore_index=True,
    )
    after = set(holdout_split(joined, spec).test["person"])
    assert len(before - after) <= 6  # only people near the cut move


def test_holdout_with_nothing_to_predict_names_the_fix() -> None:
    spec = _holdout_spec(predict_rows="unlabelled")
    with pytest.raises(SplitError, match="predict_rows: negative_class"):
        holdout_split(_flat(), spec)


def test_time_split_on_one_sample_date_points_to_holdout() -> None:
    spec = _holdout_spec(split="time", predict_rows="unlabelled")
    frame = _flat()
    frame.loc[:9, "left"] = None
    with pytest.raises(
        SplitError, match="all 390 labelled rows are at one sample date"
    ):
        time_split(frame, spec)


def test_holdout_is_for_classifiers_and_regressions_not_hazards() -> None:
    with pytest.raises(SpecError, match="split"):
        _holdout_spec(formulation="hazard", horizons=[12], label_horizon_months=12)
    with pytest.raises(SpecError, match="only with split: holdout"):
        _holdout_spec(split="time", predict_rows="unlabelled", test_share=0.3)
