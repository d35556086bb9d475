"""AutoML selection, grouped folds, threshold and calibration decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from test_ml_support import make_xy

from people_ml.ml import DataError, choose_threshold, fit_automl, profile_features
from people_ml.ml._calibration import choose_calibration


@pytest.fixture(scope="module")
def linear_result():
    X, y = make_xy("linear", n=800)
    return fit_automl(X, y, search_iterations=3, random_state=0)


@pytest.fixture(scope="module")
def xor_result():
    X, y = make_xy("xor", n=800)
    return fit_automl(X, y, search_iterations=3, random_state=0)


def _best(result, algorithm):
    return max(c.cv_score for c in result.candidates if c.algorithm == algorithm)


def test_linear_signal_picks_linear_model(linear_result):
    assert linear_result.model.algorithm == "logistic_regression"
    assert linear_result.cv_score > 0.85
    assert _best(linear_result, "logistic_regression") >= _best(
        linear_result, "hist_gradient_boosting"
    )


def test_interaction_makes_trees_win(xor_result):
    assert xor_result.model.algorithm == "hist_gradient_boosting"
    assert _best(xor_result, "hist_gradient_boosting") > 0.9
    assert _best(xor_result, "logistic_regression") < 0.6


@pytest.mark.parametrize("fixture", ["linear_result", "xor_result"])
def test_selected_model_is_the_simplest_within_one_standard_error(fixture, request):
    result = request.getfixturevalue(fixture)
    scores = [c.cv_score for c in result.candidates]
    selected = [c for c in result.candidates if c.selected]
    assert len(selected) == 1
    assert selected[0].cv_score == result.cv_score
    best = result.candidates[int(np.argmax(scores))]
    se = np.std(best.fold_scores, ddof=1) / np.sqrt(len(best.fold_scores))
    assert selected[0].cv_score >= max(scores) - se
    # No simpler setting was within the floor: a linear winner beats every
    # tree; a tree winner means no linear setting came within one SE.
    if selected[0].algorithm == "hist_gradient_boosting":
        assert _best(result, "logistic_regression") < max(scores) - se
    metrics = result.cv_metrics.set_index("metric")["value"]
    assert metrics["selection_best_score"] == pytest.approx(max(scores))
    assert metrics["selection_score_floor"] == pytest.approx(max(scores) - se)
    notes = [w.message for w in result.warnings if w.code == "selection_rule"]
    assert len(notes) == 1 and "one-standard-error rule" in notes[0]
    assert selected[0].params == result.model.hyperparameters
    assert {c.algorithm for c in result.candidates} == {
        "logistic_regression",
        "hist_gradient_boosting",
    }
    assert all(len(c.fold_scores) == 3 for c in result.candidates)


def test_class_weight_is_searched_for_the_linear_model(linear_result):
    weights = {
        c.params["class_weight"]
        for c in linear_result.candidates
        if c.algorithm == "logistic_regression"
    }
    assert weights <= {None, "balanced"}
    assert "class_weight" in linear_result.model.class_balance


def test_threshold_comes_from_out_of_fold_predictions(linear_result):
    _, y = make_xy("linear", n=800)
    expected = choose_threshold(y, linear_result.oof_prediction)
    assert linear_result.model.threshold == pytest.approx(expected)
    metric = linear_result.cv_metrics.set_index(["metric", "class_label"])
    assert metric.loc[("threshold", pd.NA), "value"] == pytest.approx(expected)


def test_choose_threshold_maximises_minority_f1():
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.2, 0.2, 0.3, 0.35, 0.4, 0.45, 0.6, 0.65, 0.9])
    t = choose_threshold(y, p)
    assert 0.4 < t < 0.45  # predicts the top 4 rows: F1 = 6/7
    # a majority positive class: the threshold maximises class 0's F1
    t0 = choose_threshold(1 - y, 1 - p)
    assert 0.55 < t0 < 0.6


def test_calibration_decision_recorded(linear_result):
    metrics = set(linear_result.cv_metrics["metric"])
    # isotonic is only tried from 1000 training rows on (it overfits small data)
    assert {"brier_none", "brier_sigmoid"} <= metrics
    assert "brier_isotonic" not in metrics
    assert linear_result.model.calibration in {"none", "sigmoid", "isotonic"}
    codes = {w.code for w in linear_result.warnings}
    assert {"calibration", "threshold", "model_selected"} <= codes


@pytest.mark.parametrize(("shift", "expected"), [(0.0, "none"), (2.0, "calibrated")])
def test_calibration_only_when_it_lowers_brier(shift, expected):
    rng = np.random.default_rng(0)
    margin = rng.normal(scale=2.0, size=3000)
    y = (rng.random(3000) < expit(margin)).astype(int)
    folds = np.arange(3000) % 3
    decision = choose_calibration(margin + shift, y, folds)
    if expected == "none":
        assert decision.method == "none" and decision.calibrator is None
    else:
        assert decision.method in {"sigmoid", "isotonic"}
        assert decision.brier[decision.method] < decision.brier["none"]
        calibrated = decision.calibrator.predict_proba(margin + shift)
        assert abs(calibrated.mean() - y.mean()) < 0.02


def test_groups_never_split_across_folds():
    X, y = make_xy("linear", n=600)
    groups = np.repeat(np.arange(150), 4)
    result = fit_automl(
        X,
        y,
        groups=groups,
        candidates=["logistic_regression"],
        search_iterations=2,
        random_state=0,
    )
    per_group = pd.Series(result.fold_ids).groupby(groups).nunique()
    assert (per_group == 1).all()


def test_regression_selection_uses_spec_metric():
    X, _ = make_xy("linear", n=500)
    y = 3.0 * X["f0"] - 2.0 * X["f1"] + np.random.default_rng(0).normal(size=500)
    result = fit_automl(
        X,
        y,
        problem_type="regression",
        metric="neg_root_mean_squared_error",
        search_iterations=2,
        random_state=0,
    )
    assert result.model.algorithm == "ridge"
    assert result.cv_score < 0
    assert result.cv_score == max(c.cv_score for c in result.candidates)
    assert result.model.threshold is None
    assert result.model.calibration == "none"


def test_dropped_features_never_reach_the_estimator():
    X, y = make_xy("linear", n=400)
    X["const"] = 7
    X["emp_id"] = np.arange(len(X))
    X["mostly_missing"] = np.where(np.arange(len(X)) % 4 == 0, 1.0, np.nan)
    X["leak"] = y + np.random.default_rng(0).normal(scale=0.01, size=len(y))
    X["protected"] = np.where(np.arange(len(X)) % 2 == 0, "a", "b")
    result = fit_automl(
        X,
        y,
        candidates=["logistic_regression"],
        search_iterations=1,
        keep_columns=["protected"],
        exclude=["f4"],
    )
    profile = result.profile.set_index("feature")
    reasons = profile["reason"]
    assert reasons["const"].startswith("constant")
    assert reasons["emp_id"].startswith("identifier-like")
    assert reasons["mostly_missing"].startswith("> 50 % missing")
    assert reasons["leak"].startswith("leakage suspect")
    assert bool(profile.loc["leak", "is_leakage_suspect"])
    assert reasons["protected"].startswith("kept for analysis")
    assert reasons["f4"] == "excluded by spec"
    assert set(result.model.features) == {"f0", "f1", "f2", "f3"}
    pre = result.model.pipeline.named_steps["preprocess"]
    used = {col for _, _, cols in pre.transformers_ if cols != "drop" for col in cols}
    assert used == {"f0", "f1", "f2", "f3"}
    assert "leakage_suspect" in {w.code for w in result.warnings}


@pytest.mark.parametrize(
    ("values", "detected", "status"),
    [
        (["Yes", "No"] * 50, "boolean", "selected"),
        ([True, False] * 50, "boolean", "selected"),
        (["2020-01-31", "2021-03-31"] * 50, "date", "dropped"),
        (["a", "b", "c", "d"] * 25, "categorical", "selected"),
        ([f"id{i}" for i in range(100)], "identifier", "dropped"),
        (list(np.linspace(0, 1, 100)), "numeric", "selected"),
    ],
)
def test_profile_type_detection(values, detected, status):
    X = pd.DataFrame({"col": values})
    y = np.random.default_rng(1).integers(0, 2, 100)
    profile = profile_features(X, y)
    row = profile.iloc[0]
    assert row["detected_type"] == detected
    assert row["status"] == status
    assert row["n_observations"] == 100


def test_profile_association_measures():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    X = pd.DataFrame(
        {
            "num": y + rng.normal(size=300),
            "cat": np.where(y == 1, "a", "b"),
            "noise": rng.normal(size=300),
        }
    )
    X.loc[: int(300 * 0.1), "cat"] = "c"
    profile = profile_features(X, y).set_index("feature")
    assert profile.loc["num", "association_measure"] == "roc_auc_folded"
    assert 0.7 < profile.loc["num", "target_association"] < 0.98
    assert profile.loc["cat", "association_measure"] == "cramers_v"
    assert profile.loc["noise", "target_association"] >= 0.5
    reg = profile_features(X[["num"]], X["num"] * 2 + 1, problem_type="regression")
    assert reg.loc[0, "association_measure"] == "abs_spearman"
    assert reg.loc[0, "target_association"] == pytest.approx(1.0)
    assert bool(reg.loc[0, "is_leakage_suspect"])


def test_rare_class_fewer_than_folds_is_refused():
    X, _ = make_xy("linear", n=100)
    y = np.zeros(100, dtype=int)
    y[:2] = 1
    with pytest.raises(DataError, match="cv_folds"):
        fit_automl(X, y, search_iterations=1)


def test_non_binary_target_is_refused():
    X, _ = make_xy("linear", n=100)
    with pytest.raises(DataError, match="0/1"):
        fit_automl(X, np.arange(100) % 3, search_iterations=1)


@pytest.mark.parametrize("metric", ["average_precision", "f1", "neg_log_loss"])
def test_other_classification_metrics(metric):
    X, y = make_xy("linear", n=400)
    result = fit_automl(
        X,
        y,
        metric=metric,
        candidates=["logistic_regression"],
        search_iterations=2,
        selection_rule="best",
    )
    assert result.selection_metric == metric
    assert result.cv_score == max(c.cv_score for c in result.candidates)
    assert (result.cv_score < 0) == (metric == "neg_log_loss")
