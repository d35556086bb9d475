"""AutoML core: grouped cross-validated search, calibration, threshold, refit."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
)
from sklearn.pipeline import Pipeline

from ._calibration import choose_calibration
from ._candidates import (
    HALVING_FACTOR,
    Candidate,
    build_preprocessor,
    get_candidates,
    representation_of,
)
from ._exceptions import DataError, RunWarning
from ._features import FeatureSchema, coerce_features, make_schema
from ._metrics import choose_threshold, evaluate, minority_class, selection_score
from ._model import FittedModel
from ._profile import profile_features
from ._progress import Progress, stage
from ._pruning import FoldData, feature_correlations
from ._pruning import prune_features as _prune
from ._seasonal import calendar_months, fit_seasonal_offsets
from ._selection import select_candidate
from ._spec import (
    ALGORITHMS,
    CLASSIFICATION_METRICS,
    DEFAULT_METRICS,
    REGRESSION_METRICS,
)
from ._target import encode_target
from ._threads import limit_threads

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["AutoMLResult", "CandidateResult", "fit_automl"]


#: Rows above which AutoML tunes on a sample of whole entities (see fit_automl).
DEFAULT_TUNING_MAX_ROWS = 60_000
#: Features are pruned only with at least this much evidence in training: for
#: a classification, entities (people) with a row of the rarer class, when
#: groups are given (a person's repeated rows, such as a leaver's 12 months of
#: look-ahead rows in a hazard, are one piece of evidence, as the pruning's
#: clustered standard errors count them), else rows of the rarer class; for a
#: regression, rows. On the IBM sample (about 190 leavers per outer training
#: fold) pruning chose on fold noise and cost 0.02-0.05 ROC AUC out of sample;
#: on the default HRIS's person-months (about 600 leavers in training) it
#: removes features without an effect and the test AUC holds.
MIN_EVIDENCE_ROWS_FOR_PRUNING = 500


@dataclass(frozen=True)
class CandidateResult:
    """Cross-validation result of one algorithm setting.

    Attributes
    ----------
    algorithm : str
    params : dict
    cv_score : float
        Mean over folds of the selection metric (higher is better).
    cv_score_std : float
    fold_scores : tuple of float
    selected : bool
    """

    algorithm: str
    params: dict[str, Any]
    cv_score: float
    cv_score_std: float
    fold_scores: tuple[float, ...]
    selected: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly mapping."""
        return {
            "algorithm": self.algorithm,
            "params": self.params,
            "cv_score": self.cv_score,
            "cv_score_std": self.cv_score_std,
            "fold_scores": list(self.fold_scores),
            "selected": self.selected,
        }


@dataclass(frozen=True)
class AutoMLResult:
    """Everything :func:`fit_automl` decided and fitted.

    Attributes
    ----------
    model : FittedModel
        The refit winner with calibrator and threshold.
    profile : pandas.DataFrame
        Feature profile (see :func:`profile_features`).
    candidates : tuple of CandidateResult
        Every setting tried, in search order.
    selection_metric : str
    cv_score : float
        The winner's mean CV score.
    cv_metrics : pandas.DataFrame
        Long metrics of the winner's out-of-fold predictions (columns
        ``metric``, ``class_label``, ``value``), plus the selection score and
        calibration comparison.
    oof_prediction : ndarray
        The winner's out-of-fold predictions (calibrated probabilities for
        classification), from which the threshold was chosen.
    fold_ids : ndarray
        CV fold of each training row (of the tuning sample, when sampled).
    warnings : tuple of RunWarning
        Decisions and problems worth recording.
    fold_class_counts : tuple of (int, int)
        Validation rows of class 0 and of class 1 in each CV fold
        (classification; empty for regression).
    """

    model: FittedModel
    profile: pd.DataFrame
    candidates: tuple[CandidateResult, ...]
    selection_metric: str
    cv_score: float
    cv_metrics: pd.DataFrame
    oof_prediction: np.ndarray
    fold_ids: np.ndarray
    warnings: tuple[RunWarning, ...]
    fold_class_counts: tuple[tuple[int, int], ...] = ()


def _fold_ids(
    y: np.ndarray,
    groups: np.ndarray | None,
    *,
    classification: bool,
    n_splits: int,
    random_state: int,
) -> np.ndarray:
    n_units = len(np.unique(groups)) if groups is not None else len(y)
    if n_units < n_splits:
        raise DataError(
            f"cv_folds={n_splits} needs at least {n_splits} "
            f"{'entities' if groups is not None else 'rows'} in training; "
            f"got {n_units}."
        )
    if classification:
        counts = np.bincount(y, minlength=2)
        if counts.min() < n_splits:
            raise DataError(
                f"the rarer class has {counts.min()} training row(s), fewer than "
                f"cv_folds={n_splits}; add history or lower cv_folds."
            )
        if groups is None:
            splitter = StratifiedKFold(
                n_splits, shuffle=True, random_state=random_state
            )
        else:
            splitter = StratifiedGroupKFold(
                n_splits, shuffle=True, random_state=random_state
            )
    elif groups is None:
        splitter = KFold(n_splits, shuffle=True, random_state=random_state)
    else:
        splitter = GroupKFold(n_splits, shuffle=True, random_state=random_state)
    fold = np.full(len(y), -1)
    for k, (_, val) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        fold[val] = k
    if classification:
        for k in range(n_splits):
            inside = fold == k
            if len(np.unique(y[inside])) < 2 or len(np.unique(y[~inside])) < 2:
                raise DataError(
                    f"CV fold {k} lacks a class (too few positive entities for "
                    f"cv_folds={n_splits}); lower cv_folds or add history."
                )
    return fold


def _output(estimator: Any, Xt: np.ndarray, classification: bool) -> np.ndarray:
    if classification:
        return np.asarray(estimator.decision_function(Xt), dtype=float)
    return np.asarray(estimator.predict(Xt), dtype=float)


def _class_balance(family: str, params: dict[str, Any], y: np.ndarray) -> str:
    if family == "linear":
        weight = f"class_weight={params.get('class_weight') or 'None'} (searched: "
        weight += "None | balanced)"
    else:
        weight = "unweighted trees (class_weight not searched)"
    return (
        f"{weight}; positive share {y.mean():.1%} in training; threshold "
        f"maximises out-of-fold class-{minority_class(y)} F1; no resampling"
    )


def fit_automl(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    problem_type: str = "binary_classification",
    metric: str | None = None,
    groups: pd.Series | np.ndarray | None = None,
    sample_dates: pd.Series | np.ndarray | None = None,
    cv_folds: int = 3,
    candidates: Sequence[str] | None = None,
    search_iterations: int | None = None,
    random_state: int = 0,
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    keep_columns: Sequence[str] = (),
    dropped: Mapping[str, str] | None = None,
    tuning_max_rows: int | None = DEFAULT_TUNING_MAX_ROWS,
    selection_rule: str = "one_standard_error",
    prune_features: bool = True,
    seasonal_calibration: bool = True,
) -> AutoMLResult:
    """Profile features, tune candidates by grouped CV and refit the best one.

    Everything is learned from ``X``/``y`` only, so calling this inside an outer
    cross-validation fold is leak-free: EDA drops, preprocessing, tuning,
    calibration and the threshold all come from the rows given. Native thread
    pools are limited to ``$PEOPLE_ML_THREADS`` (default 1) while it runs.

    Parameters
    ----------
    X : pandas.DataFrame
        Candidate feature columns (no target).
    y : array-like
        Target: 0/1, bool or yes/no strings (classification), numbers
        (regression). No nulls.
    problem_type : {'binary_classification', 'regression'}
    metric : str or None, default=None
        Selection metric (see :class:`MLModelSpec`); None picks the default.
    groups : array-like or None, default=None
        Entity id per row; folds never split an entity.
    sample_dates : array-like or None, default=None
        Sample date per row; needed to use date features (as days before it).
    cv_folds : int, default=3
    candidates : sequence of str or None, default=None
        Algorithms to try; None means all for the problem type.
    search_iterations : int or None, default=None
        Maximum settings per algorithm (for gradient boosting: tree shapes,
        each searched over its boosting rounds by successive halving); None
        uses each algorithm's default.
    random_state : int, default=0
    features, exclude, keep_columns : optional
        As in :class:`MLModelSpec`.
    dropped : mapping of str to str, optional
        Columns that never become features, with the reason the profile
        states (the data-quality gate's drops).
    tuning_max_rows : int or None, default=DEFAULT_TUNING_MAX_ROWS
        Above this many rows the profile, the search, calibration and the
        threshold use a sample of whole entities (all rows of the people
        drawn, so grouped folds stay valid) of at most this many rows; the
        winner is then refit on every row. The search costs candidates x folds
        fits, so this keeps AutoML at minutes for 100,000 employees. None:
        never sample.
    selection_rule : {'one_standard_error', 'best'}, default='one_standard_error'
        How the winner is chosen from the CV scores: the simplest setting
        (linear before trees, stronger penalties and the plain representation
        first) within one standard error of the best, or the best.
    prune_features : bool, default=True
        When a linear model wins, drop the features whose removal raises the
        per-row out-of-fold loss by no more than
        :data:`~people_ml.ml._pruning.PRUNING_Z` standard errors, unless they
        correlate with a feature that clearly helps
        (:func:`people_ml.ml._pruning.prune_features`); they are marked
        ``dropped`` in the profile with the evidence. Skipped with fewer than
        :data:`MIN_EVIDENCE_ROWS_FOR_PRUNING` rows of the rarer class.
    seasonal_calibration : bool, default=True
        Classification with sample dates in two or more calendar months: fit
        log-odds offsets by calendar month on the out-of-fold probabilities
        when the months differ beyond chance
        (:func:`people_ml.ml._seasonal.fit_seasonal_offsets`), used by
        ``predict(X, sample_dates)`` and the threshold.

    Returns
    -------
    AutoMLResult

    Raises
    ------
    DataError
        Bad target values, no usable feature, too few rows or entities for the
        folds.
    """
    X = X.reset_index(drop=True)
    y_all = y.reset_index(drop=True) if isinstance(y, pd.Series) else pd.Series(y)
    rows = _tuning_rows(len(X), groups, tuning_max_rows, random_state)
    settings = {
        "problem_type": problem_type,
        "metric": metric,
        "cv_folds": cv_folds,
        "candidates": candidates,
        "search_iterations": search_iterations,
        "random_state": random_state,
        "features": features,
        "exclude": exclude,
        "keep_columns": keep_columns,
        "dropped": dict(dropped or {}),
        "selection_rule": selection_rule,
        "prune_features": prune_features,
        "seasonal_calibration": seasonal_calibration,
    }
    with limit_threads():
        if rows is None:
            return _fit_automl(
                X, y_all, groups=groups, sample_dates=sample_dates, **settings
            )
        result = _fit_automl(
            X.iloc[rows].reset_index(drop=True),
            y_all.iloc[rows].reset_index(drop=True),
            groups=None if groups is None else np.asarray(groups)[rows],
            sample_dates=(
                None if sample_dates is None else np.asarray(sample_dates)[rows]
            ),
            **settings,
        )
        return _refit_on_all_rows(result, X, y_all, sample_dates, rows)


_EXPANDED_TREATMENT = {
    "ordinal": "also one column per level, missing as a level",
    "continuous": "also a cubic spline on 5 quantile knots",
    "skewed": "also log1p (scaled) and a cubic spline on 5 quantile knots",
}


def _describe_representation(
    profile: pd.DataFrame, schema: Sequence[FeatureSchema], representation: str
) -> pd.DataFrame:
    """The profile's treatment, completed with what the expanded representation adds."""
    if representation != "expanded":
        return profile
    out = profile.copy()
    for f in schema:
        extra = _EXPANDED_TREATMENT.get(f.shape)
        if extra:
            hit = out["feature"] == f.name
            out.loc[hit, "treatment"] = out.loc[hit, "treatment"] + f"; {extra}"
    return out


def _pruning_evidence(
    y: np.ndarray, groups: np.ndarray | None, *, classification: bool
) -> tuple[int, str]:
    """How much evidence the pruning would rest on, and its unit (see
    :data:`MIN_EVIDENCE_ROWS_FOR_PRUNING`)."""
    if not classification:
        return len(y), "rows"
    y = np.asarray(y).astype(int)
    rare = minority_class(y)
    if groups is None:
        return int(np.sum(y == rare)), "minority-class rows"
    return int(pd.unique(np.asarray(groups)[y == rare]).size), (
        "people (entities) with a minority-class row"
    )


def _mark_pruned(profile: pd.DataFrame, reasons: dict[str, str]) -> pd.DataFrame:
    """The profile with the pruned features marked dropped, with the evidence."""
    out = profile.copy()
    hit = out["feature"].isin(list(reasons))
    out.loc[hit, "status"] = "dropped"
    out.loc[hit, "reason"] = out.loc[hit, "feature"].map(reasons)
    out.loc[hit, "treatment"] = "none"
    return out


def _tuning_rows(
    n: int,
    groups: pd.Series | np.ndarray | None,
    cap: int | None,
    random_state: int,
) -> np.ndarray | None:
    """Row positions of a sample of whole entities of at most ``cap`` rows."""
    if cap is None or n <= cap:
        return None
    rng = np.random.default_rng(random_state)
    if groups is None:
        return np.sort(rng.choice(n, size=cap, replace=False))
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    order = rng.permutation(len(uniques))
    sizes = np.bincount(codes, minlength=len(uniques))[order]
    chosen = order[np.cumsum(sizes) <= cap]
    return np.flatnonzero(np.isin(codes, chosen))


def _refit_on_all_rows(
    result: AutoMLResult,
    X: pd.DataFrame,
    y: pd.Series,
    sample_dates: pd.Series | np.ndarray | None,
    rows: np.ndarray,
) -> AutoMLResult:
    """Refit the tuned winner's pipeline on every row; keep what was decided."""
    model = result.model
    Xc = model.prepare(X, None if sample_dates is None else pd.Series(sample_dates))
    y_enc = encode_target(y, model.problem_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.pipeline.fit(Xc, y_enc)
    if model.family == "linear":
        Xt = np.asarray(
            model.pipeline.named_steps["preprocess"].transform(Xc), dtype=float
        )
        model.background_mean = Xt.mean(axis=0)
        model.background_cov = np.atleast_2d(np.cov(Xt, rowvar=False))
    note = RunWarning(
        "info",
        "tuning_sample",
        f"profile, search, calibration, seasonal offsets and threshold used "
        f"{len(rows):,} of "
        f"{len(X):,} training rows (whole entities, drawn at random); the winner "
        "was refit on all rows.",
    )
    return AutoMLResult(**{**result.__dict__, "warnings": (*result.warnings, note)})


def _rounds_plan(n_shapes: int, rounds: Sequence[int]) -> list[int]:
    """Shapes boosted to each round under successive halving."""
    counts = []
    for _ in rounds:
        if n_shapes == 0:
            break
        counts.append(n_shapes)
        n_shapes = math.ceil(n_shapes / HALVING_FACTOR) if n_shapes > 1 else 0
    return counts


def _planned(
    cands: Sequence[Candidate], plan: Sequence[tuple[Candidate, dict]]
) -> list[str]:
    """The algorithm of each evaluation the search will make, in order."""
    kinds: list[str] = []
    for cand in cands:
        k = sum(c is cand for c, _ in plan)
        total = sum(_rounds_plan(k, cand.rounds)) if cand.rounds else k
        kinds += [cand.name] * total
    return kinds


class _Search:
    """Cross-validates settings on shared folds, reusing fits where it can.

    A candidate with a penalty ``path`` is fitted along it per fold, each fit
    starting from the previous solution. A candidate with boosting ``rounds``
    is searched by successive halving: every shape boosted to the first
    round, the best third (by mean CV score) boosted on to the next, and so
    on, each round's fits continuing the previous round's trees. Every
    (setting, rounds) pair evaluated is a result of its own.
    """

    def __init__(
        self,
        folds: Mapping[str, Sequence[FoldData]],
        y: np.ndarray,
        metric: str,
        classification: bool,
        random_state: int,
    ) -> None:
        self.folds = folds
        self.y = y
        self.metric = metric
        self.classification = classification
        self.random_state = random_state
        self.results: list[CandidateResult] = []
        self.oofs: list[np.ndarray] = []
        self.evaluated: list[tuple[Candidate, dict[str, Any]]] = []
        self.n_convergence = 0
        self.progress: Progress | None = None
        self._path: dict[tuple[str, str, int], Any] = {}

    def evaluate(
        self, cand: Candidate, params: dict[str, Any], start: Sequence[Any] = ()
    ) -> list[Any]:
        """Cross-validate one setting; return its fitted fold estimators.

        ``start``: per fold, an estimator to continue (``warm_start``).
        """
        folds = self.folds[representation_of(params)]
        oof = np.full(len(self.y), np.nan)
        scores, fitted = [], []
        key = cand.path_key(params)
        for k, f in enumerate(folds):
            if start:
                est = start[k]
                est.set_params(max_iter=params["max_iter"])
            elif key is not None and (cand.name, key, k) in self._path:
                est = self._path[(cand.name, key, k)]
                est.set_params(**{cand.path: params[cand.path]})
            else:
                est = cand.make(params, self.random_state, f.Xt_train.shape[1])
                if key is not None or cand.rounds:
                    est.set_params(warm_start=True)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                est.fit(f.Xt_train, self.y[f.train])
            self.n_convergence += sum(
                issubclass(w.category, ConvergenceWarning) for w in caught
            )
            if key is not None:
                self._path[(cand.name, key, k)] = est
            oof[f.valid] = _output(est, f.Xt_valid, self.classification)
            scores.append(selection_score(self.metric, self.y[f.valid], oof[f.valid]))
            fitted.append(est)
        score = float(np.mean(scores))
        self.results.append(
            CandidateResult(
                cand.name,
                dict(params),
                score if math.isfinite(score) else -math.inf,
                float(np.std(scores)),
                tuple(float(s) for s in scores),
            )
        )
        self.oofs.append(oof)
        self.evaluated.append((cand, dict(params)))
        if self.progress is not None:
            self.progress.step(
                len(self.results), f"{cand.name}, CV {self.metric} {score:.4f}"
            )
        return fitted

    def halving(self, cand: Candidate, shapes: Sequence[dict[str, Any]]) -> None:
        """Successive halving over ``cand.rounds`` (boosting rounds)."""
        alive: list[tuple[dict[str, Any], list[Any]]] = [(dict(p), []) for p in shapes]
        counts = _rounds_plan(len(alive), cand.rounds)
        for j, rounds in enumerate(cand.rounds[: len(counts)]):
            scored = []
            for shape, start in alive[: counts[j]]:
                params = dict(sorted({**shape, "max_iter": rounds}.items()))
                fitted = self.evaluate(cand, params, start)
                scored.append(
                    (
                        self.results[-1].cv_score,
                        cand.complexity_key(params),
                        shape,
                        fitted,
                    )
                )
            scored.sort(key=lambda t: (-t[0], t[1]))
            alive = [(shape, fitted) for _, _, shape, fitted in scored]


def _fit_automl(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    problem_type: str = "binary_classification",
    metric: str | None = None,
    groups: pd.Series | np.ndarray | None = None,
    sample_dates: pd.Series | np.ndarray | None = None,
    cv_folds: int = 3,
    candidates: Sequence[str] | None = None,
    search_iterations: int | None = None,
    random_state: int = 0,
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    keep_columns: Sequence[str] = (),
    dropped: Mapping[str, str] | None = None,
    selection_rule: str = "one_standard_error",
    prune_features: bool = True,
    seasonal_calibration: bool = True,
) -> AutoMLResult:
    classification = problem_type == "binary_classification"
    metric = DEFAULT_METRICS[problem_type] if metric is None else metric
    allowed = CLASSIFICATION_METRICS if classification else REGRESSION_METRICS
    if metric not in allowed:
        raise DataError(f"metric {metric!r} not allowed for {problem_type}: {allowed}")
    names = list(ALGORITHMS[problem_type] if candidates is None else candidates)
    cands: list[Candidate] = get_candidates(problem_type, names)
    X = X.reset_index(drop=True)
    y_series = y.reset_index(drop=True) if isinstance(y, pd.Series) else pd.Series(y)
    y_enc = encode_target(y_series, problem_type)
    if len(y_enc) != len(X):
        raise DataError(f"X has {len(X)} rows but y has {len(y_enc)}")
    groups_arr = None if groups is None else np.asarray(groups)
    notes: list[RunWarning] = []

    profile = profile_features(
        X,
        y_enc,
        problem_type=problem_type,
        features=features,
        exclude=exclude,
        keep_columns=keep_columns,
        dropped=dropped,
        groups=groups_arr,
        has_sample_dates=sample_dates is not None,
    )
    for row in profile.itertuples():
        if row.is_leakage_suspect and row.status == "dropped":
            notes.append(
                RunWarning("warning", "leakage_suspect", f"{row.feature}: {row.reason}")
            )
        elif row.status == "dropped" and not row.reason.startswith(
            ("excluded by spec", "kept for analysis", "not listed")
        ):
            notes.append(
                RunWarning("info", "feature_dropped", f"{row.feature}: {row.reason}")
            )
    used = profile[profile["status"].isin(["selected", "processed"])]
    if used.empty:
        raise DataError(
            "no usable feature: every candidate column was dropped by the profile "
            "(see feature_profiles for the reasons)."
        )
    schema = make_schema(X, used["feature"].tolist(), used["detected_type"].tolist())
    dates = None if sample_dates is None else pd.Series(np.asarray(sample_dates))
    Xc = coerce_features(X, schema, dates)

    fold = _fold_ids(
        y_enc.astype(int) if classification else y_enc,
        groups_arr,
        classification=classification,
        n_splits=cv_folds,
        random_state=random_state,
    )
    n = len(X)
    fold_train_rows = int(min(np.sum(fold != k) for k in range(cv_folds)))
    plan = [
        (cand, params)
        for cand in cands
        for params in cand.settings(search_iterations, random_state, fold_train_rows)
    ]
    unsupported = {c.name: c.n_unsupported(fold_train_rows) for c in cands}
    pruned = {name: k for name, k in unsupported.items() if k}
    if pruned:
        notes.append(
            RunWarning(
                "info",
                "regularisation_floor",
                f"{fold_train_rows:,} training rows per CV fold do not support "
                + ", ".join(f"{k} of {name}'s settings" for name, k in pruned.items())
                + " (leaves x min_samples_leaf above half the rows); not tried.",
            )
        )
    folds: dict[str, list[FoldData]] = {}
    for rep in dict.fromkeys(representation_of(p) for _, p in plan):
        folds[rep] = []
        for k in range(cv_folds):
            tr, va = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            pre = build_preprocessor(schema, n, rep)
            Xt_tr = np.asarray(pre.fit_transform(Xc.iloc[tr], y_enc[tr]), dtype=float)
            Xt_va = np.asarray(pre.transform(Xc.iloc[va]), dtype=float)
            folds[rep].append(FoldData(tr, va, Xt_tr, Xt_va, dict(pre.output_indices_)))

    search = _Search(folds, y_enc, metric, classification, random_state)
    kinds = _planned(cands, plan)
    stage(f"AutoML: {len(kinds)} candidates on {n:,} rows, {cv_folds}-fold CV")
    search.progress = Progress("AutoML candidate", len(kinds), kinds)
    for cand in cands:
        settings = [p for c, p in plan if c is cand]
        if cand.rounds:
            search.halving(cand, settings)
        else:
            for params in settings:
                search.evaluate(cand, params)
    results, oof_by_result = search.results, search.oofs
    n_convergence, plan = search.n_convergence, search.evaluated
    if n_convergence:
        notes.append(
            RunWarning(
                "warning",
                "convergence",
                f"{n_convergence} CV fit(s) did not converge (ConvergenceWarning).",
            )
        )
    selection = select_candidate(
        results, [c.complexity_key(p) for c, p in plan], rule=selection_rule
    )
    best_i = selection.chosen
    results[best_i] = CandidateResult(**{**results[best_i].__dict__, "selected": True})
    best = results[best_i]
    cand = plan[best_i][0]
    oof = oof_by_result[best_i]
    per_algo = {
        c.name: max(r.cv_score for r in results if r.algorithm == c.name) for c in cands
    }
    notes.append(
        RunWarning(
            "info",
            "model_selected",
            f"{best.algorithm} {best.params} selected by {metric}: CV "
            f"{best.cv_score:.4f} ± {best.cv_score_std:.4f}; best per algorithm: "
            + ", ".join(f"{name} {score:.4f}" for name, score in per_algo.items()),
        )
    )
    notes.append(RunWarning("info", "selection_rule", selection.reason))

    representation = representation_of(best.params)
    kept = list(range(len(schema)))
    evidence_rows, evidence_unit = _pruning_evidence(
        y_enc, groups_arr, classification=classification
    )
    if (
        cand.family == "linear"
        and prune_features
        and len(schema) > 1
        and evidence_rows < MIN_EVIDENCE_ROWS_FOR_PRUNING
    ):
        notes.append(
            RunWarning(
                "info",
                "feature_pruning",
                f"features not pruned: {evidence_rows:,} {evidence_unit}"
                + f" in training, fewer than {MIN_EVIDENCE_ROWS_FOR_PRUNING:,}; on "
                "so few the folds' scores are too noisy to tell a weak feature "
                "from none.",
            )
        )
    elif cand.family == "linear" and prune_features and len(schema) > 1:
        pruning = _prune(
            cand,
            best.params,
            folds[representation],
            schema,
            y_enc,
            base_scores=best.fold_scores,
            oof=oof,
            floor=selection.floor,
            metric=metric,
            random_state=random_state,
            classification=classification,
            groups=groups_arr,
            correlations=feature_correlations(Xc, schema),
        )
        notes.append(RunWarning("info", "feature_pruning", pruning.reason))
        if pruning.dropped:
            for name in pruning.dropped:
                notes.append(
                    RunWarning(
                        "info", "feature_dropped", f"{name}: {pruning.reasons[name]}"
                    )
                )
            profile = _mark_pruned(profile, pruning.reasons)
            kept = pruning.kept
            schema = tuple(schema[i] for i in kept)
            Xc = Xc[[f.name for f in schema]]
            oof = pruning.oof
    profile = _describe_representation(profile, schema, representation)
    # The width only picks the solver: the first fold's is close enough.
    first = folds[representation][0].columns
    width = sum(first[f"f{i}"].stop - first[f"f{i}"].start for i in kept)
    pipeline = Pipeline(
        [
            ("preprocess", build_preprocessor(schema, n, representation)),
            ("model", cand.make(best.params, random_state, width)),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(Xc, y_enc)
    model = FittedModel(
        problem_type=problem_type,
        algorithm=best.algorithm,
        family=cand.family,
        hyperparameters=dict(best.params),
        pipeline=pipeline,
        schema=schema,
    )
    if cand.family == "linear":
        Xt = np.asarray(pipeline.named_steps["preprocess"].transform(Xc), dtype=float)
        model.background_mean = Xt.mean(axis=0)
        model.background_cov = np.atleast_2d(np.cov(Xt, rowvar=False))

    extra: list[tuple[str, str | None, float]] = [
        ("selection_score_mean", None, best.cv_score),
        ("selection_score_std", None, best.cv_score_std),
        ("n_candidates", None, float(len(results))),
        ("selection_best_score", None, results[selection.best].cv_score),
        ("selection_score_floor", None, selection.floor),
        (
            "selection_is_simpler_than_best",
            None,
            float(selection.chosen != selection.best),
        ),
    ]
    if classification:
        decision = choose_calibration(oof, y_enc, fold)
        model.calibration = decision.method
        model.calibrator = decision.calibrator
        prob = (
            expit(oof)
            if decision.calibrator is None
            else decision.calibrator.predict_proba(oof)
        )
        months = calendar_months(sample_dates)
        seasonal = (
            fit_seasonal_offsets(prob, y_enc, months) if seasonal_calibration else None
        )
        if seasonal is not None:
            model.seasonal = seasonal
            prob = seasonal.apply(prob, months)
            notes.append(
                RunWarning(
                    "info",
                    "seasonal_calibration",
                    (
                        "offsets by calendar month of the sample date, fitted on "
                        "the out-of-fold probabilities, kept where a month's miss "
                        "is beyond chance and shrunk by how precisely each is known "
                        "(they move expected counts, not rankings): "
                        if seasonal.active
                        else "no calendar month's out-of-fold miss is beyond chance, "
                        "so no seasonal offset: "
                    )
                    + seasonal.describe()
                    + "; a month the training frame has no samples for is scored "
                    "without one.",
                )
            )
            extra.append(
                (
                    "seasonal_offset_max_abs",
                    None,
                    max(abs(v) for v in seasonal.offsets.values()),
                )
            )
        model.minority_class = minority_class(y_enc)
        model.threshold = choose_threshold(y_enc, prob)
        model.class_balance = _class_balance(cand.family, best.params, y_enc)
        notes.append(RunWarning("info", "calibration", decision.reason))
        flagged = prob >= model.threshold
        positive = y_enc == model.minority_class
        flagged_share = float(flagged.mean())
        precision = float(positive[flagged].mean()) if flagged.any() else math.nan
        notes.append(
            RunWarning(
                "info",
                "threshold",
                f"decision threshold {model.threshold:.4f} maximises class-"
                f"{model.minority_class} F1 on out-of-fold training predictions; "
                f"there it flags {flagged_share:.1%} of rows with precision "
                f"{precision:.1%} (base rate {positive.mean():.1%}). Risk bands, "
                "not this threshold, decide who is flagged high (the top share).",
            )
        )
        extra += [
            ("threshold_flagged_share", None, flagged_share),
            ("threshold_precision", None, precision),
        ]
        extra += [(f"brier_{m}", None, v) for m, v in decision.brier.items()]
        extra += [(f"log_loss_{m}", None, v) for m, v in decision.log_loss.items()]
        cv_metrics = evaluate(
            y_enc, prob, problem_type=problem_type, threshold=model.threshold
        )
        oof_pred = prob
    else:
        cv_metrics = evaluate(y_enc, oof, problem_type=problem_type)
        oof_pred = oof
    extra_frame = pd.DataFrame(extra, columns=["metric", "class_label", "value"])
    extra_frame["class_label"] = extra_frame["class_label"].astype("string")
    cv_metrics = pd.concat([cv_metrics, extra_frame], ignore_index=True)
    return AutoMLResult(
        model=model,
        profile=profile,
        candidates=tuple(results),
        selection_metric=metric,
        cv_score=best.cv_score,
        cv_metrics=cv_metrics,
        oof_prediction=oof_pred,
        fold_ids=fold,
        warnings=tuple(notes),
        fold_class_counts=tuple(
            (int(np.sum(y_enc[fold == k] == 0)), int(np.sum(y_enc[fold == k] == 1)))
            for k in range(cv_folds)
        )
        if classification
        else (),
    )
