"""The AutoML search spends its time where it pays, and gives the same answers.

Boosting rounds are searched by successive halving, each round continuing the
previous round's trees; the linear penalty is fitted along a path, each fit
starting from the previous solution; feature pruning's refits start from the
full model. Each is checked against fitting from scratch.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools

import numpy as np
import pytest
from test_ml_support import make_xy

from people_ml.ml import fit_automl
from people_ml.ml._automl import _planned, _Search
from people_ml.ml._candidates import HALVING_FACTOR, HGB_ROUNDS, get_candidates
from people_ml.ml._metrics import selection_score
from people_ml.ml._pruning import FoldData, prune_features
from people_ml.ml._threads import limit_threads


def _folds(X: np.ndarray, k: int = 3, seed: int = 0) -> list[FoldData]:
    fold = np.random.default_rng(seed).integers(0, k, len(X))
    columns = {f"f{i}": slice(i, i + 1) for i in range(X.shape[1])}
    return [
        FoldData(
            np.flatnonzero(fold != j),
            np.flatnonzero(fold == j),
            X[fold != j],
            X[fold == j],
            columns,
        )
        for j in range(k)
    ]


@pytest.fixture(autouse=True)
def _one_thread():
    # As fit_automl does: OpenMP pools at PEOPLE_ML_THREADS (1), so the
    # tests do not fight the other test workers for cores.
    with limit_threads():
        yield


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    logit = 1.5 * X[:, 0] - X[:, 1] + 2.0 * (X[:, 2] * X[:, 3] > 0) - 1.0
    y = (rng.random(600) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def _shape(params: dict) -> dict:
    return {k: v for k, v in params.items() if k != "max_iter"}


def _cold_scores(cand, params, folds, y) -> list[float]:
    scores = []
    for f in folds:
        est = cand.make(params, 0, f.Xt_train.shape[1]).fit(f.Xt_train, y[f.train])
        out = est.decision_function(f.Xt_valid)
        scores.append(selection_score("roc_auc", y[f.valid], out))
    return scores


def test_boosting_rounds_are_halved_and_continue_the_same_trees(data):
    X, y = data
    folds = _folds(X)
    (hgb,) = get_candidates("binary_classification", ["hist_gradient_boosting"])
    shapes = hgb.settings(9, 0, n_rows=400)
    search = _Search({"plain": folds}, y, "roc_auc", True, 0)
    search.halving(hgb, shapes)
    rounds = collections.Counter(r.params["max_iter"] for r in search.results)
    assert rounds == {
        HGB_ROUNDS[0]: 9,
        HGB_ROUNDS[1]: 9 // HALVING_FACTOR,
        HGB_ROUNDS[2]: 1,
    }
    assert len(search.results) == len(_planned([hgb], [(hgb, s) for s in shapes]))
    # Each round boosts on the best third of the previous round's shapes.
    for before, after in itertools.pairwise(HGB_ROUNDS):
        previous = sorted(
            (r for r in search.results if r.params["max_iter"] == before),
            key=lambda r: -r.cv_score,
        )
        kept = [
            _shape(r.params) for r in search.results if r.params["max_iter"] == after
        ]
        assert kept == [_shape(r.params) for r in previous[: len(kept)]]
    # Boosting on is bit-identical to a fresh fit with that many rounds.
    for result in search.results:
        if result.params["max_iter"] > HGB_ROUNDS[0]:
            cold = _cold_scores(hgb, result.params, folds, y)
            assert list(result.fold_scores) == cold


def test_the_penalty_path_reaches_the_same_optimum(data):
    X, y = data
    folds = _folds(X)
    (logistic,) = get_candidates("binary_classification", ["logistic_regression"])
    settings = logistic.settings(None, 0)
    # Strongest penalty first within each path.
    paths = collections.defaultdict(list)
    for p in settings:
        paths[logistic.path_key(p)].append(p["C"])
    assert all(cs == sorted(cs) for cs in paths.values()) and len(paths) == 4
    search = _Search({"plain": folds, "expanded": folds}, y, "roc_auc", True, 0)
    for params in settings:
        search.evaluate(logistic, params)
    for result in search.results:
        cold = _cold_scores(logistic, result.params, folds, y)
        np.testing.assert_allclose(result.fold_scores, cold, atol=1e-4)


def test_pruning_started_from_the_full_model_decides_the_same(data):
    X, y = data
    rng = np.random.default_rng(1)
    X = np.column_stack([X, rng.normal(size=(len(X), 2))])  # two noise features
    folds = _folds(X)
    (logistic,) = get_candidates("binary_classification", ["logistic_regression"])
    params = {"C": 1.0, "class_weight": None, "representation": "plain"}
    schema = [dataclasses.make_dataclass("F", ["name"])(f"x{i}") for i in range(7)]
    search = _Search({"plain": folds}, y, "roc_auc", True, 0)
    search.evaluate(logistic, params)
    settings = {
        "params": params,
        "folds": folds,
        "schema": schema,
        "y": y,
        "base_scores": search.results[0].fold_scores,
        "oof": search.oofs[0],
        "floor": 0.0,
        "metric": "roc_auc",
        "random_state": 0,
        "classification": True,
    }
    warm = prune_features(logistic, **settings)
    cold = prune_features(dataclasses.replace(logistic, path=None), **settings)
    assert warm.kept == cold.kept and set(warm.dropped) >= {"x5", "x6"} - set(
        warm.partners
    )
    for name, (mean, se) in cold.evidence.items():
        assert warm.evidence[name][0] == pytest.approx(mean, abs=0.01 * se)


def test_the_search_on_a_tree_signal_still_picks_trees():
    X, y = make_xy("xor", n=800)
    result = fit_automl(X, y, search_iterations=9, random_state=0)
    assert result.model.algorithm == "hist_gradient_boosting"
    assert result.cv_score > 0.9
    trees = [c for c in result.candidates if c.algorithm == "hist_gradient_boosting"]
    assert {c.params["max_iter"] for c in trees} == set(HGB_ROUNDS)
