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
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    SplineTransformer,
    StandardScaler,
)

from ._features import MISSING_LEVEL, FeatureSchema
from ._profile import MAX_ONEHOT_CATEGORIES, onehot_min_frequency

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sklearn.base import BaseEstimator

__all__ = [
    "HALVING_FACTOR",
    "HGB_ROUNDS",
    "REPRESENTATIONS",
    "Candidate",
    "build_preprocessor",
    "get_candidates",
]

#: Feature representations, simplest first. ``plain``: numbers scaled,
#: categories one-hot. ``expanded`` (offered to linear models): ordinal numbers
#: also as categories with a missing level, continuous numbers also as a cubic
#: spline on quantile knots, skewed non-negative numbers also as log1p.
REPRESENTATIONS: tuple[str, ...] = ("plain", "expanded")
_SPLINE_KNOTS = 5

# Hist gradient boosting is bounded so that SHAP's TreeExplainer stays cheap:
# cost grows with trees x leaves x depth. With at most 200 trees of at most 31
# leaves and depth 6, explaining 100,000 rows takes about a minute on one core
# (benchmarks/shap_cost.py). The grid is the trees' shape; the number of trees
# is searched by successive halving over HGB_ROUNDS (see Candidate.rounds).
_HGB_GRID: dict[str, list[Any]] = {
    "learning_rate": [0.03, 0.1],
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
#: Boosting rounds of the successive-halving search: every sampled tree shape is
#: boosted to the first count on every fold, the best third of the shapes (by
#: mean CV score) boosted on to the next, and so on. Each count is a candidate
#: of its own, so the one-standard-error rule can prefer fewer trees (cheaper
#: SHAP) when they score the same. Boosting on continues the same trees
#: (``warm_start``): bit-identical to a fresh fit with that many rounds.
HGB_ROUNDS: tuple[int, ...] = (50, 100, 200)
#: Shapes kept from one round to the next: one in ``HALVING_FACTOR``.
HALVING_FACTOR = 3
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
        Settings tried when the spec sets no ``search_iterations`` (for a
        staged candidate: shapes boosted to the first round).
    make : callable
        ``make(params, random_state, n_columns) -> estimator``; ``n_columns`` is
        the width of the transformed matrix.
    complexity : callable
        ``complexity(params) -> tuple``: orders settings from simplest to most
        complex (compared after the family, linear before tree) for the
        one-standard-error rule.
    supported : callable
        ``supported(params, n_rows) -> bool``: whether ``n_rows`` training rows
        support the setting (the regularisation floor for small sets).
    rounds : tuple of int
        Boosting rounds searched by successive halving (``max_iter``); empty
        for a candidate fitted once per setting.
    path : str or None
        The penalty parameter fitted along a path: settings that differ only
        in it are fitted from the strongest penalty to the weakest, each
        starting from the previous solution (``warm_start``), which converges
        to the same optimum in a third of the Newton steps.
    path_ascending : bool
        Whether the weakest penalty has the largest ``path`` value (``C``).
    """

    name: str
    family: str
    grid: dict[str, list[Any]]
    default_iterations: int
    make: Callable[[dict[str, Any], int, int], BaseEstimator]
    complexity: Callable[[dict[str, Any]], tuple[float, ...]] = lambda p: ()
    supported: Callable[[dict[str, Any], int], bool] = lambda p, n: True
    rounds: tuple[int, ...] = ()
    path: str | None = None
    path_ascending: bool = True

    def complexity_key(self, params: dict[str, Any]) -> tuple[float, ...]:
        """Sort key, simplest first: family (linear, then tree), then setting."""
        return (_FAMILY_RANK[self.family], *self.complexity(params))

    def settings(
        self, n_iter: int | None, random_state: int, n_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Hyperparameter settings to cross-validate (the whole grid if it fits).

        Parameters
        ----------
        n_iter : int or None
            Most settings to return; None uses ``default_iterations``.
        random_state : int
            Seed of the draw when the grid is larger than the budget.
        n_rows : int or None, default=None
            Training rows of a CV fold: settings these rows do not support are
            pruned first (when none is supported, the simplest is kept).

        Returns
        -------
        list of dict
        """
        budget = self.default_iterations if n_iter is None else n_iter
        grid = [dict(p) for p in ParameterGrid(self.grid)]
        if n_rows is not None:
            allowed = [p for p in grid if self.supported(p, n_rows)]
            grid = allowed or [min(grid, key=self.complexity_key)]
        if len(grid) > budget:
            rng = np.random.default_rng(random_state)
            chosen = np.sort(rng.choice(len(grid), size=budget, replace=False))
            grid = [grid[i] for i in chosen]
        if self.path is not None:
            # Along the penalty path, strongest first, so each fit starts from
            # the previous (stabler) solution; the other keys in grid order.
            others = [k for k in self.grid if k != self.path]
            order = {repr([p[k] for k in others]): i for i, p in enumerate(grid)}
            sign = 1.0 if self.path_ascending else -1.0
            grid.sort(
                key=lambda p: (
                    order[repr([p[k] for k in others])],
                    sign * float(p[self.path]),
                )
            )
        return grid

    def path_key(self, params: dict[str, Any]) -> str | None:
        """Settings with the same key lie on one penalty path (None: no path)."""
        if self.path is None:
            return None
        return repr(sorted((k, v) for k, v in params.items() if k != self.path))

    def n_unsupported(self, n_rows: int) -> int:
        """Settings of the grid that ``n_rows`` training rows do not support."""
        return sum(
            not self.supported(dict(p), n_rows) for p in ParameterGrid(self.grid)
        )


def _logistic(
    params: dict[str, Any], random_state: int, n_columns: int
) -> BaseEstimator:
    # Newton-Cholesky is ~5x faster than lbfgs on tall, narrow one-hot data; its
    # cost grows with n_columns**2, so wide matrices keep lbfgs.
    solver = "newton-cholesky" if n_columns <= _NEWTON_MAX_COLUMNS else "lbfgs"
    return LogisticRegression(
        solver=solver,
        max_iter=5000,
        random_state=random_state,
        **estimator_params(params),
    )


def _ridge(params: dict[str, Any], random_state: int, n_columns: int) -> BaseEstimator:
    return Ridge(random_state=random_state, **estimator_params(params))


_FAMILY_RANK = {"linear": 0.0, "tree": 1.0}


def _linear_complexity(params: dict[str, Any]) -> tuple[float, ...]:
    # Every linear setting counts as equally simple: the penalty is itself
    # chosen by CV, and forcing the strongest penalty within one standard error
    # lost 0.01 ROC AUC on the IBM sample (benchmarks/ibm_attrition_cv.py). The
    # representation is not complexity either: the expanded matrix contains the
    # plain one. Among linear settings within the floor the best score wins.
    return ()


def _hgb_leaves(params: dict[str, Any]) -> int:
    return min(int(params["max_leaf_nodes"]), 2 ** int(params["max_depth"]))


def _hgb_complexity(params: dict[str, Any]) -> tuple[float, ...]:
    # Total leaves first, then the stronger floor, penalty and the slower step.
    return (
        float(params.get("max_iter", HGB_ROUNDS[0]) * _hgb_leaves(params)),
        -float(params["min_samples_leaf"]),
        -float(params["l2_regularization"]),
        float(params["learning_rate"]),
    )


def _hgb_supported(params: dict[str, Any], n_rows: int) -> bool:
    """A tree setting is supported when its leaves could all be full twice over.

    With ``leaves x min_samples_leaf`` above half the training rows a tree must
    fit leaves on the minimum sample, which on small sets (the IBM sample has
    about 800 rows per inner fold) is noise fitting.
    """
    return _hgb_leaves(params) * int(params["min_samples_leaf"]) <= n_rows / 2


def estimator_params(params: dict[str, Any]) -> dict[str, Any]:
    """A setting's estimator arguments (without the feature representation)."""
    return {k: v for k, v in params.items() if k != "representation"}


def representation_of(params: dict[str, Any]) -> str:
    """The feature representation a setting uses (``plain`` unless searched)."""
    return str(params.get("representation", "plain"))


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
            {
                "C": _C_GRID,
                "class_weight": [None, "balanced"],
                "representation": list(REPRESENTATIONS),
            },
            24,
            _logistic,
            _linear_complexity,
            path="C",
        ),
        "hist_gradient_boosting": Candidate(
            "hist_gradient_boosting",
            "tree",
            dict(_HGB_GRID),
            9,
            _hgb_classifier,
            _hgb_complexity,
            _hgb_supported,
            rounds=HGB_ROUNDS,
        ),
    },
    "regression": {
        "ridge": Candidate(
            "ridge",
            "linear",
            {"alpha": _ALPHA_GRID, "representation": list(REPRESENTATIONS)},
            24,
            _ridge,
            _linear_complexity,
        ),
        "hist_gradient_boosting": Candidate(
            "hist_gradient_boosting",
            "tree",
            dict(_HGB_GRID),
            9,
            _hgb_regressor,
            _hgb_complexity,
            _hgb_supported,
            rounds=HGB_ROUNDS,
        ),
    },
}


def get_candidates(problem_type: str, names: Sequence[str]) -> list[Candidate]:
    """Return the candidate objects for ``names`` (in the given order)."""
    table = _CANDIDATES[problem_type]
    return [table[n] for n in names]


def _log1p_nonnegative(x: np.ndarray) -> np.ndarray:
    """log(1 + x) with negative values (unseen at training) clipped to 0."""
    return np.log1p(np.clip(np.asarray(x, dtype=float), 0.0, None))


def _numeric_step(f: FeatureSchema, representation: str) -> BaseEstimator:
    impute = SimpleImputer(
        strategy="median", add_indicator=True, keep_empty_features=True
    )
    shape = f.shape
    if representation == "plain" or shape == "binary":
        return Pipeline([("impute", impute), ("scale", StandardScaler())])
    if shape == "ordinal":
        # The number (scaled, with a missing indicator) and every level as its
        # own column, the missing value (NaN) a level of its own: a U-shape
        # (ratings 1-2 and 5 both raise attrition) is then expressible.
        return ColumnTransformer(
            [
                (
                    "number",
                    Pipeline([("impute", impute), ("scale", StandardScaler())]),
                    [0],
                ),
                (
                    "levels",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    [0],
                ),
            ],
            sparse_threshold=0.0,
        )
    parts: list[tuple[str, BaseEstimator, list[int]]] = [
        ("number", StandardScaler(), [0]),
        (
            "spline",
            SplineTransformer(
                n_knots=_SPLINE_KNOTS,
                degree=3,
                knots="quantile",
                extrapolation="constant",
                include_bias=False,
            ),
            [0],
        ),
    ]
    if shape == "skewed":
        parts.append(
            (
                "log",
                Pipeline(
                    [
                        ("log1p", FunctionTransformer(_log1p_nonnegative)),
                        ("scale", StandardScaler()),
                    ]
                ),
                [0],
            )
        )
    return Pipeline(
        [
            ("impute", impute),
            (
                "expand",
                ColumnTransformer(parts, remainder="passthrough", sparse_threshold=0.0),
            ),
        ]
    )


def build_preprocessor(
    schema: Sequence[FeatureSchema], n_rows: int, representation: str = "plain"
) -> ColumnTransformer:
    """One transformer per original feature, so outputs map back to their source.

    ``plain``: numeric and date features are median imputed (with a missing
    indicator) and standard scaled; boolean: mode impute; categorical: missing
    as a level, then one-hot with rare levels grouped into an infrequent column
    and unknown levels mapped to it (or to all zeros). The grouping is learned
    from the rows the transformer is fitted on, so inside a CV fold it never
    sees the fold's validation rows or the test period.

    ``expanded`` (offered to linear models) adds, per numeric feature: for an
    ordinal one (3 to 10 levels: scales, ratings, job levels) a one-hot column
    per level with missing as a level; for a continuous one a cubic B-spline on
    5 quantile knots (constant beyond the training range); for a skewed
    non-negative one also ``log1p`` scaled. The scaled number is always kept, so
    the expanded matrix contains the plain one.

    Parameters
    ----------
    schema : sequence of FeatureSchema
        Final features in order; transformer ``i`` handles ``schema[i]``.
    n_rows : int
        Training rows, which set the rare-level threshold.
    representation : {'plain', 'expanded'}, default='plain'

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted, dense output; ``output_indices_['f<i>']`` gives feature ``i``'s
        columns after fitting.
    """
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation {representation!r} not in {REPRESENTATIONS}")
    transformers = []
    for i, f in enumerate(schema):
        if f.kind == "numeric":
            step = _numeric_step(f, representation)
        elif f.kind == "date":
            step = _numeric_step(f, "plain")
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
