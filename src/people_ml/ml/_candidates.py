"""Candidate algorithms, their search spaces and the shared preprocessing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._features import MISSING_LEVEL, FeatureSchema
from ._profile import MAX_ONEHOT_CATEGORIES, onehot_min_frequency

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sklearn.base import BaseEstimator

__all__ = ["Candidate", "build_preprocessor", "get_candidates"]

# Hist gradient boosting is bounded so that SHAP's TreeExplainer stays cheap:
# cost grows with trees x leaves x depth. With at most 200 trees of at most 31
# leaves and depth 6, explaining 100,000 rows takes about a minute on one core
# (benchmarks/shap_cost.py).
_HGB_GRID: dict[str, list[Any]] = {
    "learning_rate": [0.03, 0.1],
    "max_iter": [100, 200],
    "max_leaf_nodes": [7, 15, 31],
    "max_depth": [3, 4, 6],
    "min_samples_leaf": [20, 50, 100],
    "l2_regularization": [0.0, 1.0],
}
# class_weight is searched for the linear model only: for HistGradientBoosting,
# sklearn 1.9 turns class weights into sample weights and then bins every
# continuous column with weighted percentiles, which made each fit 5-10x slower
# (0.4 s -> 4.7 s on 10k rows); for trees the imbalance is handled by the
# out-of-fold decision threshold and the calibration check instead.
_NEWTON_MAX_COLUMNS = 300
_C_GRID = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
_ALPHA_GRID = [float(a) for a in np.logspace(-2, 3, 12)]


@dataclass(frozen=True)
class Candidate:
    """One algorithm AutoML may choose.

    Attributes
    ----------
    name : str
        Algorithm name used in specs and outputs.
    family : {'linear', 'tree'}
        Chooses the SHAP explainer.
    grid : dict
        Discrete search space.
    default_iterations : int
        Settings tried when the spec sets no ``search_iterations``.
    make : callable
        ``make(params, random_state, n_columns) -> estimator``; ``n_columns`` is
        the width of the transformed matrix.
    """

    name: str
    family: str
    grid: dict[str, list[Any]]
    default_iterations: int
    make: Callable[[dict[str, Any], int, int], BaseEstimator]

    def settings(self, n_iter: int | None, random_state: int) -> list[dict[str, Any]]:
        """Hyperparameter settings to cross-validate (the whole grid if it fits)."""
        budget = self.default_iterations if n_iter is None else n_iter
        grid = ParameterGrid(self.grid)
        if len(grid) <= budget:
            return [dict(p) for p in grid]
        sampler = ParameterSampler(self.grid, n_iter=budget, random_state=random_state)
        return [dict(p) for p in sampler]


def _logistic(
    params: dict[str, Any], random_state: int, n_columns: int
) -> BaseEstimator:
    # Newton-Cholesky is ~5x faster than lbfgs on tall, narrow one-hot data; its
    # cost grows with n_columns**2, so wide matrices keep lbfgs.
    solver = "newton-cholesky" if n_columns <= _NEWTON_MAX_COLUMNS else "lbfgs"
    return LogisticRegression(
        solver=solver, max_iter=5000, random_state=random_state, **params
    )


def _ridge(params: dict[str, Any], random_state: int, n_columns: int) -> BaseEstimator:
    return Ridge(random_state=random_state, **params)


def _hgb_classifier(
    params: dict[str, Any], random_state: int, n_columns: int
) -> BaseEstimator:
    return HistGradientBoostingClassifier(
        early_stopping=False, random_state=random_state, **params
    )


def _hgb_regressor(
    params: dict[str, Any], random_state: int, n_columns: int
) -> BaseEstimator:
    return HistGradientBoostingRegressor(
        early_stopping=False, random_state=random_state, **params
    )


_CANDIDATES: dict[str, dict[str, Candidate]] = {
    "binary_classification": {
        "logistic_regression": Candidate(
            "logistic_regression",
            "linear",
            {"C": _C_GRID, "class_weight": [None, "balanced"]},
            12,
            _logistic,
        ),
        "hist_gradient_boosting": Candidate(
            "hist_gradient_boosting",
            "tree",
            dict(_HGB_GRID),
            8,
            _hgb_classifier,
        ),
    },
    "regression": {
        "ridge": Candidate("ridge", "linear", {"alpha": _ALPHA_GRID}, 12, _ridge),
        "hist_gradient_boosting": Candidate(
            "hist_gradient_boosting", "tree", dict(_HGB_GRID), 8, _hgb_regressor
        ),
    },
}


def get_candidates(problem_type: str, names: Sequence[str]) -> list[Candidate]:
    """Return the candidate objects for ``names`` (in the given order)."""
    table = _CANDIDATES[problem_type]
    return [table[n] for n in names]


def build_preprocessor(
    schema: Sequence[FeatureSchema], n_rows: int
) -> ColumnTransformer:
    """One transformer per original feature, so outputs map back to their source.

    Numeric and date features: median impute (with a missing indicator) and
    standard scaling; boolean: mode impute; categorical: missing as a level, then
    one-hot with rare levels grouped into an infrequent column and unknown levels
    mapped to it (or to all zeros).

    Parameters
    ----------
    schema : sequence of FeatureSchema
        Final features in order; transformer ``i`` handles ``schema[i]``.
    n_rows : int
        Training rows, which set the rare-level threshold.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted, dense output; ``output_indices_['f<i>']`` gives feature ``i``'s
        columns after fitting.
    """
    transformers = []
    for i, f in enumerate(schema):
        if f.kind in ("numeric", "date"):
            step = Pipeline(
                [
                    (
                        "impute",
                        SimpleImputer(
                            strategy="median",
                            add_indicator=True,
                            keep_empty_features=True,
                        ),
                    ),
                    ("scale", StandardScaler()),
                ]
            )
        elif f.kind == "boolean":
            step = SimpleImputer(strategy="most_frequent", keep_empty_features=True)
        else:
            step = Pipeline(
                [
                    (
                        "impute",
                        SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL),
                    ),
                    (
                        "onehot",
                        OneHotEncoder(
                            handle_unknown="infrequent_if_exist",
                            min_frequency=onehot_min_frequency(n_rows),
                            max_categories=MAX_ONEHOT_CATEGORIES,
                            sparse_output=False,
                        ),
                    ),
                ]
            )
        transformers.append((f"f{i}", step, [f.name]))
    return ColumnTransformer(
        transformers,
        remainder="drop",
        sparse_threshold=0.0,
        verbose_feature_names_out=True,
    )
