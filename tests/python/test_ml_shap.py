"""SHAP values: additivity, one-hot mapping back to source features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from test_ml_support import make_xy

from people_ml.ml import ExplanationError, fit_automl
from people_ml.ml._candidates import get_candidates
from people_ml.ml._model import check_shap_additivity


def _frame(n=600, seed=0):
    X, y = make_xy("xor", n=n, seed=seed)
    rng = np.random.default_rng(seed)
    X["dept"] = rng.choice(["sales", "ops", "tech", "hr"], size=n)
    X.loc[:4, "dept"] = "legal"  # rare, grouped as infrequent
    X["remote"] = rng.choice(["Yes", "No"], size=n)
    X.loc[X.index % 10 == 0, "f2"] = np.nan  # adds a missing indicator column
    y = np.where(X["dept"] == "sales", 1 - y, y)  # make dept matter
    return X, y


@pytest.fixture(
    scope="module", params=["logistic_regression", "hist_gradient_boosting"]
)
def fitted(request):
    X, y = _frame()
    result = fit_automl(
        X, y, candidates=[request.param], search_iterations=2, random_state=0
    )
    return result.model, result.model.prepare(X.head(80))


def test_additivity_in_margin_space(fitted):
    model, Xp = fitted
    expl = model.explain(Xp)
    assert expl.values.shape == (80, len(model.features))
    total = expl.base_value + expl.values.sum(axis=1)
    np.testing.assert_allclose(total, expl.model_output, atol=1e-6)
    np.testing.assert_allclose(
        expl.model_output, model.pipeline.decision_function(Xp), atol=1e-12
    )
    assert expl.output_space in {"log_odds", "log_odds_uncalibrated"}
    assert expl.output_space == (
        "log_odds" if model.calibrator is None else "log_odds_uncalibrated"
    )


def test_one_hot_columns_sum_back_to_source_feature(fitted):
    model, Xp = fitted
    pre = model.pipeline.named_steps["preprocess"]
    est = model.pipeline.named_steps["model"]
    Xt = pre.transform(Xp)
    if model.family == "linear":
        raw = shap.LinearExplainer(
            est, (model.background_mean, model.background_cov)
        ).shap_values(Xt)
    else:
        raw = shap.TreeExplainer(est).shap_values(Xt)
    names = list(pre.get_feature_names_out())
    expl = model.explain(Xp)
    for feature, n_min in [("dept", 4), ("f2", 2)]:
        i = model.features.index(feature)
        cols = [j for j, name in enumerate(names) if name.startswith(f"f{i}__")]
        assert len(cols) >= n_min  # several one-hot / indicator columns
        np.testing.assert_allclose(expl.values[:, i], raw[:, cols].sum(axis=1))


@pytest.mark.parametrize("problem_type", ["binary_classification", "regression"])
def test_tree_search_space_is_bounded_for_shap_cost(problem_type):
    (hgb,) = get_candidates(problem_type, ["hist_gradient_boosting"])
    assert "max_iter" not in hgb.grid and max(hgb.rounds) <= 200
    assert max(hgb.grid["max_leaf_nodes"]) <= 31
    assert None not in hgb.grid["max_depth"] and max(hgb.grid["max_depth"]) <= 6
    for params in hgb.settings(50, 0):
        est = hgb.make(params, 0, 10)
        assert est.early_stopping is False and est.random_state == 0


def test_unknown_category_still_additive(fitted):
    model, Xp = fitted
    Xu = Xp.copy()
    Xu["dept"] = "brand_new_department"
    expl = model.explain(Xu)
    np.testing.assert_allclose(
        expl.base_value + expl.values.sum(axis=1), expl.model_output, atol=1e-6
    )


def test_additivity_violation_raises():
    values = np.array([[0.1, 0.2], [0.3, -0.1]])
    check_shap_additivity(values, 0.5, np.array([0.8, 0.7]))
    with pytest.raises(ExplanationError, match="additivity"):
        check_shap_additivity(values, 0.5, np.array([0.8, 0.9]))


def test_regression_shap_in_prediction_space():
    X, _ = make_xy("linear", n=300)
    X["dept"] = np.where(X.index % 3 == 0, "a", "b")
    y = (
        2 * X["f0"]
        + (X["dept"] == "a")
        + 0.1 * np.random.default_rng(0).normal(size=300)
    )
    for algo in ["ridge", "hist_gradient_boosting"]:
        result = fit_automl(
            X,
            y,
            problem_type="regression",
            candidates=[algo],
            search_iterations=1,
        )
        Xp = result.model.prepare(X.head(20))
        expl = result.model.explain(Xp)
        pred = result.model.predict(Xp).prediction
        assert expl.output_space == "prediction"
        np.testing.assert_allclose(
            expl.base_value + expl.values.sum(axis=1), pred, atol=1e-6
        )
        assert isinstance(expl.values, np.ndarray)
        assert pd.Series(expl.features).is_unique
