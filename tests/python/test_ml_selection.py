"""The one-standard-error rule, the tree floor and the expanded representation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from people_ml.ml import fit_automl
from people_ml.ml._automl import CandidateResult
from people_ml.ml._candidates import build_preprocessor, get_candidates
from people_ml.ml._features import coerce_features, make_schema
from people_ml.ml._pruning import _partners, feature_correlations
from people_ml.ml._selection import select_candidate


def _result(algorithm, score, folds):
    return CandidateResult(algorithm, {}, score, float(np.std(folds)), tuple(folds))


def test_a_simpler_setting_within_one_standard_error_wins():
    results = [
        _result("logistic_regression", 0.800, (0.79, 0.80, 0.81)),
        _result("hist_gradient_boosting", 0.805, (0.78, 0.805, 0.83)),
    ]
    decision = select_candidate(results, [(0.0,), (1.0,)])
    # SE of the best: sd(0.78, 0.805, 0.83) / sqrt(3) = 0.0144 > 0.005.
    assert decision.best == 1
    assert decision.chosen == 0
    assert decision.floor == pytest.approx(0.805 - 0.025 / np.sqrt(3))
    assert "simpler" in decision.reason


def test_a_clearly_better_complex_setting_still_wins():
    results = [
        _result("logistic_regression", 0.70, (0.69, 0.70, 0.71)),
        _result("hist_gradient_boosting", 0.90, (0.89, 0.90, 0.91)),
    ]
    assert select_candidate(results, [(0.0,), (1.0,)]).chosen == 1
    assert select_candidate(results, [(0.0,), (1.0,)], rule="best").chosen == 1


def test_rule_best_ignores_complexity():
    results = [
        _result("logistic_regression", 0.800, (0.79, 0.80, 0.81)),
        _result("hist_gradient_boosting", 0.805, (0.78, 0.805, 0.83)),
    ]
    assert select_candidate(results, [(0.0,), (1.0,)], rule="best").chosen == 1
    with pytest.raises(ValueError, match="selection rule"):
        select_candidate(results, [(0.0,), (1.0,)], rule="simplest")


def test_small_training_sets_prune_tree_settings():
    hgb = get_candidates("binary_classification", ["hist_gradient_boosting"])[0]
    small = hgb.settings(None, 0, n_rows=400)
    assert small, "the floor keeps at least one setting"
    for p in small:
        leaves = min(p["max_leaf_nodes"], 2 ** p["max_depth"])
        assert leaves * p["min_samples_leaf"] <= 200
    assert hgb.n_unsupported(400) > 0
    assert hgb.n_unsupported(1_000_000) == 0
    # Too few rows for any setting: the simplest is kept.
    assert len(hgb.settings(None, 0, n_rows=10)) == 1


def _frame(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    rating = rng.integers(1, 6, n).astype(float)
    rating[rng.random(n) < 0.1] = np.nan
    income = np.exp(rng.normal(8.5, 0.6, n))
    tenure = rng.uniform(0, 120, n)
    noise = rng.normal(size=n)
    # U-shape in the rating, a step in tenure (first year), log-income.
    z = (
        -1.5
        + 1.4 * np.isin(rating, [1.0, 5.0])
        + 1.0 * np.isnan(rating)
        + 1.6 * (tenure < 12)
        - 0.8 * (np.log(income) - 8.5)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame(
        {"rating": rating, "income": income, "tenure": tenure, "noise": noise}
    )
    return X, y


def test_expanded_representation_expresses_shapes_plain_cannot():
    X, _ = _frame()
    schema = make_schema(X, list(X.columns), ["numeric"] * 4)
    shapes = {f.name: f.shape for f in schema}
    assert shapes == {
        "rating": "ordinal",
        "income": "skewed",
        "tenure": "continuous",
        "noise": "continuous",
    }
    Xc = coerce_features(X, schema)
    plain = build_preprocessor(schema, len(X), "plain").fit(Xc)
    expanded = build_preprocessor(schema, len(X), "expanded").fit(Xc)
    width = {
        name: (
            pre.output_indices_["f0"].stop - pre.output_indices_["f0"].start,
            pre.output_indices_["f1"].stop - pre.output_indices_["f1"].start,
        )
        for name, pre in (("plain", plain), ("expanded", expanded))
    }
    # rating: number + missing indicator, then also 5 levels + a missing level.
    assert width["plain"] == (2, 1)
    assert width["expanded"][0] == 2 + 6
    # income: number + log + 6 spline columns.
    assert width["expanded"][1] == 1 + 6 + 1
    Xt = expanded.transform(Xc)
    assert np.isfinite(Xt).all()
    # Scoring beyond the training range and unseen levels stays finite.
    odd = pd.DataFrame(
        {"rating": [7.0], "income": [-5.0], "tenure": [500.0], "noise": [9.0]}
    )
    assert np.isfinite(expanded.transform(coerce_features(odd, schema))).all()


def test_automl_chooses_the_expanded_representation_when_shapes_matter():
    X, y = _frame(n=3000)
    result = fit_automl(X, y, candidates=["logistic_regression"], random_state=0)
    best = {
        rep: max(
            c.cv_score for c in result.candidates if c.params["representation"] == rep
        )
        for rep in ("plain", "expanded")
    }
    assert best["expanded"] > best["plain"] + 0.02
    assert result.model.hyperparameters["representation"] == "expanded"
    treatment = result.profile.set_index("feature")["treatment"]
    assert "one column per level" in treatment["rating"]
    assert "spline" in treatment["tenure"]
    assert "log1p" in treatment["income"]
    # The pure-noise column is pruned; the model explains per kept original
    # feature (SHAP sums per column).
    assert set(result.model.features) == {"rating", "income", "tenure"}
    expl = result.model.explain(result.model.prepare(X.head(50)))
    assert expl.values.shape == (50, 3)


def _noisy_frame(n, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "weak": rng.normal(size=n),
            "noise_a": rng.normal(size=n),
            "noise_b": rng.choice(list("abcdefgh"), size=n),
        }
    )
    z = -1.0 + 1.2 * X["signal"] + 0.25 * X["weak"]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).to_numpy().astype(int)
    return X, y


def test_features_without_evidence_are_pruned_with_the_evidence_recorded():
    kept_noise = 0
    for seed in range(3):
        X, y = _noisy_frame(8000, seed)
        result = fit_automl(X, y, candidates=["logistic_regression"], random_state=0)
        features = set(result.model.features)
        # A weak real effect (0.25 log-odds per sd) has evidence in every fold.
        assert {"signal", "weak"} <= features
        kept_noise += len(features & {"noise_a", "noise_b"})
        profile = result.profile.set_index("feature")
        notes = {w.code: w.message for w in result.warnings}
        for name in {"noise_a", "noise_b"} - features:
            assert profile.loc[name, "status"] == "dropped"
            assert profile.loc[name, "reason"].startswith("no evidence it helps")
            assert name in notes["feature_pruning"]
        # The pruned model still scores and explains per kept feature.
        expl = result.model.explain(result.model.prepare(X.head(20)))
        assert expl.values.shape == (20, len(features))
    # With three folds a pure-noise feature survives the paired test by chance
    # now and then, never as a rule.
    assert kept_noise <= 2


def test_small_training_sets_are_not_pruned():
    X, y = _noisy_frame(600)
    assert min(np.bincount(y)) < 500
    result = fit_automl(X, y, candidates=["logistic_regression"], random_state=0)
    assert len(result.model.features) == 4
    notes = {w.code: w.message for w in result.warnings}
    assert "features not pruned" in notes["feature_pruning"]
    unpruned = fit_automl(
        X, y, candidates=["logistic_regression"], random_state=0, prune_features=False
    )
    assert "feature_pruning" not in {w.code for w in unpruned.warnings}


@pytest.mark.parametrize("key", ["prune_features", "seasonal_calibration"])
def test_the_spec_turns_a_fit_step_off_and_refuses_a_non_boolean(key):
    from people_ml.ml import MLModelSpec, SpecError

    base = {
        "key": "m",
        "problem_type": "binary_classification",
        "entity_id": "e",
        "sample_date": "d",
        "target": "t",
    }
    assert getattr(MLModelSpec.from_config(base), key) is True
    assert getattr(MLModelSpec.from_config({**base, key: False}), key) is False
    with pytest.raises(SpecError, match=key):
        MLModelSpec.from_config({**base, key: "no"})
    with pytest.raises(SpecError, match="selection_rule"):
        MLModelSpec.from_config({**base, "selection_rule": "simplest"})


def test_a_feature_correlated_with_a_driver_is_not_pruned_for_lack_of_evidence():
    # "promo" equals "tenure" for most rows (never promoted), so leaving either
    # out costs little: the other carries the shared effect. Pruning keeps it
    # (the partner rule) and says why; a noise column correlated only with
    # another noise column is not carried in by it.
    rng = np.random.default_rng(3)
    n = 8000
    tenure = rng.gamma(2.0, 2.0, size=n)
    promoted = rng.random(n) < 0.3
    promo = np.where(promoted, tenure * rng.random(n), tenure)
    noise_a = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "tenure": tenure,
            "promo": promo,
            "noise_a": noise_a,
            "noise_b": noise_a + rng.normal(scale=0.3, size=n),
        }
    )
    z = -1.5 + 1.0 * X["signal"] - 0.15 * X["tenure"] + 0.05 * X["promo"]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).to_numpy().astype(int)
    result = fit_automl(X, y, candidates=["logistic_regression"], random_state=0)
    features = set(result.model.features)
    assert {"signal", "tenure", "promo"} <= features
    assert "noise_b" not in features
    note = {w.code: w.message for w in result.warnings}["feature_pruning"]
    assert "promo (Spearman +0.83 with tenure" in note
    assert "cannot show what either adds" in note
    assert "noise_b (Spearman" not in note


def test_only_a_partner_with_clear_evidence_keeps_a_correlated_feature():
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    X = pd.DataFrame(
        {"tenure": a, "promo": a + rng.normal(scale=0.2, size=500), "other": a}
    )
    X["other"] = rng.normal(size=500)
    schema = make_schema(X, list(X.columns), ["numeric"] * 3)
    corr = feature_correlations(X, schema)
    rho = corr.loc["promo", "tenure"]
    strong = {"tenure": (0.01, 0.001), "promo": (0.0, 0.001), "other": (0.0, 0.001)}
    assert _partners([1, 2], schema, corr, strong) == {"promo": ("tenure", rho)}
    # A partner that passed the test by chance (z = 1.5) protects nothing.
    chance = {**strong, "tenure": (0.0015, 0.001)}
    assert _partners([1, 2], schema, corr, chance) == {}
    # No correlations, or a weak feature correlated with nothing: no partner.
    assert _partners([1, 2], schema, None, strong) == {}
    assert _partners([2], schema, corr, strong) == {}
