"""A hazard run end to end: split, train, score, shadow and the spec keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_ml_hazard import MONTH_ENDS, clocked, person_months

from people_ml.ml import (
    DataError,
    MLModelSpec,
    ScoringError,
    SpecError,
    SplitError,
    hazard_split,
    horizon_labels,
    predict_with_run,
    score,
    train,
)
from people_ml.ml._entry import _in_order
from people_ml.ml._hazard import MONTHS_AHEAD

AS_OF = MONTH_ENDS[-1] + pd.offsets.MonthEnd(1)


def run_frame(seed: int = 3) -> pd.DataFrame:
    """Person-months up to the last month-end, plus the as-of date's rows.

    The as-of rows (everyone still at risk) have a null target and no
    follow-up: they are the predict set.
    """
    frame = person_months(clocked, n_people=500, seed=seed)
    last = frame[frame["sample_date"] == MONTH_ENDS[-1]]
    current = last[~last["has_exit_next_month"]].copy()
    current["sample_date"] = AS_OF
    current["tenure_months"] += 1
    current["has_exit_next_month"] = None
    current["months_until_as_of"] = 0
    out = pd.concat([frame, current], ignore_index=True)
    out["has_exit_next_month"] = out["has_exit_next_month"].astype("boolean")
    return out


def spec(**overrides) -> MLModelSpec:
    config = {
        "key": "attrition",
        "problem_type": "binary_classification",
        "formulation": "hazard",
        "horizons": [3, 6, 12],
        "look_ahead_months": 3,
        "entity_id": "worker_id",
        "sample_date": "sample_date",
        "target": "has_exit_next_month",
        "label_horizon_months": 12,
        "candidates": ["logistic_regression"],
        "search_iterations": 2,
        "random_state": 0,
        **overrides,
    }
    return MLModelSpec.from_config(config)


@pytest.fixture(scope="module")
def frame():
    return run_frame()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("hazard_artifacts")


@pytest.fixture(scope="module")
def trained(frame, store):
    return train(frame, spec(), artifact_dir=store, run_id="hazard-1")


def test_spec_keys_are_checked():
    assert spec().horizons == (3, 6, 12)
    assert (
        spec().is_hazard and not spec(formulation="classifier", horizons=None).is_hazard
    )
    with pytest.raises(SpecError, match="includes label_horizon_months"):
        spec(horizons=[3, 6])
    with pytest.raises(SpecError, match="increasing"):
        spec(horizons=[12, 3])
    with pytest.raises(SpecError, match="only with formulation: hazard"):
        spec(formulation="classifier")
    # A row budget: 500,000 by default, at least 10,000, hazard only.
    assert spec().max_train_rows == 500_000
    assert spec(max_train_rows=20_000).max_train_rows == 20_000
    with pytest.raises(SpecError, match=r"max_train_rows.*10000"):
        spec(max_train_rows=50)
    with pytest.raises(SpecError, match=r"max_train_rows.*only with formulation"):
        spec(formulation="classifier", horizons=None, max_train_rows=20_000)
    with pytest.raises(SpecError, match="binary_classification"):
        spec(problem_type="regression", metric=None, candidates=None)
    with pytest.raises(SpecError, match="formulation"):
        spec(formulation="survival")
    # A spec saved before the keys existed reads as a classifier.
    assert MLModelSpec.field_defaults()["formulation"] == "classifier"


def test_split_tests_the_month_end_a_horizon_back_on_what_was_known(frame):
    split = hazard_split(frame, spec())
    b = split.boundaries
    test_date = AS_OF - pd.DateOffset(months=12) + pd.offsets.MonthEnd(0)
    assert b.predict_date == AS_OF and b.test_date == test_date
    assert b.train_cutoff == test_date
    dates = pd.to_datetime(split.train["sample_date"])
    assert dates.max() < test_date and b.train_end == dates.max()
    # Exits after the test date are not known to training.
    followed = split.train["months_until_as_of"]
    until = split.train["months_until_exit"]
    assert (until.dropna() <= followed[until.notna()]).all()
    assert (
        followed
        == ((test_date.year - dates.dt.year) * 12 + test_date.month - dates.dt.month)
    ).all()
    # The test date is judged on the full follow-up, at every horizon.
    expected = horizon_labels(frame.loc[split.test.index], (3, 6, 12))
    pd.testing.assert_frame_equal(split.test_labels, expected)
    assert not split.test_labels.isna().any().any()
    assert b.n_train + b.n_test + b.n_predict + b.n_unused == len(frame)
    assert b.n_predict == int(frame["has_exit_next_month"].isna().sum())


def test_split_errors_name_the_fix(frame):
    with pytest.raises(SplitError, match="label_horizon_months=12"):
        hazard_split(frame[frame["sample_date"] > MONTH_ENDS[14]], spec())
    with pytest.raises(DataError, match="months_until_exit"):
        hazard_split(frame.drop(columns=["months_until_exit"]), spec())
    done = frame[frame["sample_date"] < AS_OF]
    with pytest.raises(SplitError, match="no rows to predict"):
        hazard_split(done, spec())


def test_trained_run_predicts_every_horizon_and_explains_the_month(trained, frame):
    out = trained
    predict = frame[frame["has_exit_next_month"].isna()]
    assert len(out.predictions) == len(predict)
    horizons = out.horizon_predictions.pivot(
        index="entity_id", columns="horizon_months", values="prediction"
    )
    assert list(horizons.columns) == [3, 6, 12]
    assert (horizons.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert ((horizons > 0) & (horizons < 1)).all().all()
    # The run's predictions are its own horizon's.
    mine = out.predictions.set_index("entity_id")["prediction"]
    np.testing.assert_allclose(mine.loc[horizons.index], horizons[12].to_numpy())
    # SHAP: the next month's log-odds, additive per row, months_ahead folded in.
    shap = out.shap_values.pivot(
        index="entity_id", columns="feature", values="shap_value"
    )
    assert MONTHS_AHEAD not in shap.columns
    rows = out.predictions.set_index("entity_id")
    total = rows["base_value"] + shap.loc[rows.index].sum(axis=1)
    np.testing.assert_allclose(total, rows["model_output"], atol=1e-6)
    assert MONTHS_AHEAD not in set(out.feature_importance["feature"])
    run = out.run.iloc[0]
    assert run["shap_output_space"].startswith("monthly_hazard_")
    assert run["label_horizon_months"] == 12
    assert 0 < run["decision_threshold"] < 1


def test_trained_run_is_judged_at_its_horizon(trained, frame):
    out = trained
    split = hazard_split(frame, spec())
    actual = split.test_labels["within_12_months"].astype(int)
    tp = out.test_predictions.set_index("entity_id")
    ids = split.test["worker_id"].astype(str)
    np.testing.assert_array_equal(tp.loc[ids, "actual"].to_numpy(), actual.to_numpy())
    test = out.metrics[out.metrics["split"] == "test"].set_index("metric")["value"]
    for h in (3, 6, 12):
        assert (
            test[f"actual_events_{h}_months"]
            == split.test_labels[f"within_{h}_months"].sum()
        )
        assert test[f"expected_events_{h}_months"] > 0
    assert test["n_rows"] == len(split.test)
    np.testing.assert_allclose(
        test["expected_events_12_months"], tp["prediction"].sum(), rtol=1e-9
    )
    codes = set(out.warnings["code"])
    assert {"split", "hazard", "threshold"} <= codes


def test_scoring_the_frozen_hazard_reproduces_it(trained, frame, store):
    run = trained.run.iloc[0]
    scored = score(
        frame,
        spec(),
        artifact_dir=store,
        run_id="hazard-2",
        frozen_run_id="hazard-1",
        artifact_sha256=run["artifact_sha256"],
        artifact_path=run["artifact_path"],
    )
    assert scored.run.iloc[0]["mode"] == "scored"
    for name in ("predictions", "horizon_predictions", "test_predictions"):
        mine = getattr(trained, name).drop(columns="run_id")
        theirs = getattr(scored, name).drop(columns="run_id")
        pd.testing.assert_frame_equal(mine, theirs)
    assert scored.run.iloc[0]["decision_threshold"] == run["decision_threshold"]


def test_a_classifier_spec_cannot_score_a_frozen_hazard(trained, frame, store):
    run = trained.run.iloc[0]
    with pytest.raises(ScoringError, match="formulation"):
        score(
            frame,
            spec(formulation="classifier", horizons=None),
            artifact_dir=store,
            run_id="hazard-3",
            frozen_run_id="hazard-1",
            artifact_sha256=run["artifact_sha256"],
            artifact_path=run["artifact_path"],
        )


def test_the_review_shadow_predicts_with_the_hazard(trained, frame, store):
    run = trained.run.iloc[0]
    # Runs see their frame in one order (people_ml.ml.train sorts it).
    test = hazard_split(_in_order(frame, spec()), spec()).test
    shadow = predict_with_run(
        test,
        spec(),
        artifact_dir=store,
        artifact_path=run["artifact_path"],
        artifact_sha256=run["artifact_sha256"],
        run_id="hazard-1",
        model_key="attrition",
    )
    mine = trained.test_predictions["prediction"].to_numpy(float)
    np.testing.assert_allclose(shadow.prediction, mine)
    assert shadow.threshold == run["decision_threshold"]
    assert MONTHS_AHEAD not in shadow.features


def test_the_same_rows_in_another_order_train_the_same_model(frame, tmp_path):
    # dbt hands a Python model a view's rows in no set order (DuckDB scans in
    # parallel): a run must not depend on it, or two builds of the same data
    # choose different models and fail different gates. (The hazard's
    # sampling of look-ahead rows drew by position: CV AUC 0.7710 vs 0.7731.)
    shuffled = frame.sample(frac=1.0, random_state=1)
    outs = [
        train(rows, spec(), artifact_dir=tmp_path / name, run_id="same")
        for name, rows in (("given", frame), ("shuffled", shuffled))
    ]
    assert outs[0].run["cv_score"].iloc[0] == outs[1].run["cv_score"].iloc[0]
    a, b = (o.predictions.sort_values("entity_id").reset_index(drop=True) for o in outs)
    pd.testing.assert_series_equal(a["prediction"], b["prediction"])
    i, j = (o.feature_importance.sort_values("feature") for o in outs)
    np.testing.assert_array_equal(i["importance_lower"], j["importance_lower"])
