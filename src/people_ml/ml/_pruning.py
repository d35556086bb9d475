"""Dropping features the cross-validation finds no evidence for."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from ._metrics import selection_score

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._candidates import Candidate
    from ._features import FeatureSchema

__all__ = [
    "PARTNER_CORRELATION",
    "PARTNER_MIN_Z",
    "PRUNING_Z",
    "FoldData",
    "PruningDecision",
    "clustered_mean_se",
    "feature_correlations",
    "prune_features",
    "row_losses",
]

#: A feature is kept when removing it raises the mean out-of-fold loss by more
#: than this many (entity-clustered) standard errors. Every feature is tested,
#: so the bar allows for many tests: at one standard error a feature without an
#: effect survived about one time in six, and on the HRIS at 20,000 employees
#: `region` was kept in one month's run (importance 0.044) and dropped in the
#: next; at two (about one in 40) none was. A real driver whose effect a
#: correlated feature can mimic is protected by :data:`PARTNER_CORRELATION`,
#: not by a low bar.
PRUNING_Z = 2.0
#: A feature without evidence of its own is still kept when its values correlate
#: at least this strongly (|Spearman|) with a feature that has evidence.
#: Leave-one-covariate-out measures what a feature adds *beyond* the others, so
#: of two correlated features each looks redundant while the other stays: on
#: the default HRIS months since promotion equals tenure for everyone never
#: promoted (Spearman 0.59), the tenure spline mimics it, and dropping it
#: handed its effect to tenure in two seeds of four at 20,000 employees
#: (evidence -0.00001 per row, standard error 0.00014). Kept, its importance
#: interval and direction in the run's drivers say how sure the split is.
PARTNER_CORRELATION = 0.5
#: ... and only for a partner whose own evidence is at least this many standard
#: errors: a noise feature that passed the test by chance (about one in six)
#: must not carry its correlated noise twin in with it.
PARTNER_MIN_Z = 3.0


@dataclass(frozen=True)
class FoldData:
    """One CV fold's rows and transformed matrices.

    Attributes
    ----------
    train, valid : ndarray
        Row positions.
    Xt_train, Xt_valid : ndarray
        The fold's transformed training and validation matrices.
    columns : dict
        Feature ``f<i>`` -> slice of its columns (``output_indices_``).
    """

    train: np.ndarray
    valid: np.ndarray
    Xt_train: np.ndarray
    Xt_valid: np.ndarray
    columns: dict[str, slice]


@dataclass(frozen=True)
class PruningDecision:
    """Which features the winner keeps, and the evidence.

    Attributes
    ----------
    kept : list of int
        Schema positions kept, in order.
    evidence : dict
        Feature name -> (mean, entity-clustered standard error) of the
        per-row out-of-fold loss added when that feature alone is removed
        (positive: the feature helps).
    dropped : list of str
    fold_scores : tuple of float
        The kept model's CV scores.
    oof : ndarray
        The kept model's out-of-fold outputs.
    reason : str
        The run note (``feature_pruning``).
    reasons : dict
        Dropped feature -> its profile reason, with the evidence.
    partners : dict
        Feature kept without evidence of its own -> (the correlated feature
        with evidence, their Spearman correlation); see
        :data:`PARTNER_CORRELATION`.
    """

    kept: list[int]
    evidence: dict[str, tuple[float, float]]
    dropped: list[str]
    fold_scores: tuple[float, ...]
    oof: np.ndarray
    reason: str = ""
    reasons: dict[str, str] = field(default_factory=dict)
    partners: dict[str, tuple[str, float]] = field(default_factory=dict)


def _columns(fold: FoldData, keep: Sequence[int]) -> np.ndarray:
    parts = [
        np.arange(fold.columns[f"f{i}"].start, fold.columns[f"f{i}"].stop) for i in keep
    ]
    return np.concatenate(parts) if parts else np.array([], dtype=int)


def _cv(
    cand: Candidate,
    params: dict[str, Any],
    folds: Sequence[FoldData],
    keep: Sequence[int],
    y: np.ndarray,
    *,
    metric: str,
    random_state: int,
    classification: bool,
    start: Sequence[tuple[Any, np.ndarray]] = (),
) -> tuple[list[float], np.ndarray]:
    """CV of the setting on the features ``keep``.

    ``start``: per fold, a linear model fitted on every feature and its
    (sorted) columns; each fit starts from its coefficients of the kept ones.
    """
    n = max(int(f.valid.max()) for f in folds) + 1
    oof = np.full(n, np.nan)
    scores = []
    for k, fold in enumerate(folds):
        cols = _columns(fold, keep)
        est = cand.make(params, random_state, len(cols))
        if start:
            # Dropping one feature barely moves the optimum: starting there
            # takes one or two Newton steps instead of four or five.
            est.set_params(warm_start=True)
            full, every_cols = start[k]
            position = np.searchsorted(every_cols, cols)
            est.coef_ = full.coef_[:, position].copy()
            est.intercept_ = full.intercept_.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(fold.Xt_train[:, cols], y[fold.train])
        Xv = fold.Xt_valid[:, cols]
        out = est.decision_function(Xv) if classification else est.predict(Xv)
        oof[fold.valid] = np.asarray(out, dtype=float)
        scores.append(selection_score(metric, y[fold.valid], oof[fold.valid]))
    return scores, oof


def _se_words() -> str:
    return "one standard error" if PRUNING_Z == 1 else f"{PRUNING_Z:g} standard errors"


def row_losses(
    y: np.ndarray, output: np.ndarray, *, classification: bool, metric: str
) -> np.ndarray:
    """Each row's out-of-fold loss: the evidence a feature is judged on.

    Classification: log loss of the margin's logistic probability (a proper
    scoring rule, far more sensitive to a weak feature than ROC AUC).
    Regression: absolute error for ``neg_mean_absolute_error``, else squared
    error.
    """
    if classification:
        p = np.clip(expit(output), 1e-12, 1 - 1e-12)
        return -(y * np.log(p) + (1 - y) * np.log1p(-p))
    err = np.asarray(y, dtype=float) - output
    return np.abs(err) if metric == "neg_mean_absolute_error" else err**2


def clustered_mean_se(d: np.ndarray, groups: np.ndarray | None) -> tuple[float, float]:
    """Mean of per-row differences and its standard error, clustered by entity.

    Rows of one person are not independent (the same person at several sample
    dates), so the standard error is computed over the people's summed
    differences (a cluster-robust standard error of the mean).
    """
    d = np.asarray(d, dtype=float)
    n = len(d)
    mean = float(d.mean())
    if groups is None:
        return mean, float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
    sums = np.bincount(codes, weights=d - mean)
    g = len(sums)
    if g < 2:
        return mean, 0.0
    return mean, float(math.sqrt(g / (g - 1) * np.sum(sums**2)) / n)


def feature_correlations(
    X: pd.DataFrame, schema: Sequence[FeatureSchema]
) -> pd.DataFrame:
    """Spearman correlations of the numeric, boolean and date features.

    Categorical features are left out (their levels have no order); missing
    values are skipped pair by pair.
    """
    names = [f.name for f in schema if f.kind in ("numeric", "boolean", "date")]
    if len(names) < 2:
        return pd.DataFrame(index=names, columns=names, dtype=float)
    values = X[names].apply(lambda s: pd.to_numeric(s, errors="coerce")).astype(float)
    return values.corr(method="spearman")


def _partners(
    weak: Sequence[int],
    schema: Sequence[FeatureSchema],
    correlations: pd.DataFrame | None,
    evidence: Mapping[str, tuple[float, float]],
) -> dict[str, tuple[str, float]]:
    """Weak features correlated with a feature that has strong evidence.

    A partner is a feature outside ``weak`` whose evidence (mean, standard
    error) is at least :data:`PARTNER_MIN_Z` standard errors.
    """
    if correlations is None or correlations.empty:
        return {}
    weak_names = {schema[i].name for i in weak}
    strong = [
        f.name
        for f in schema
        if f.name not in weak_names
        and evidence[f.name][0] > PARTNER_MIN_Z * evidence[f.name][1]
    ]
    out: dict[str, tuple[str, float]] = {}
    for name in sorted(weak_names):
        if name not in correlations.index:
            continue
        row = correlations.loc[name, [s for s in strong if s in correlations.columns]]
        row = row.dropna()
        if row.empty:
            continue
        partner = str(row.abs().idxmax())
        if abs(float(row[partner])) >= PARTNER_CORRELATION:
            out[name] = (partner, float(row[partner]))
    return out


def prune_features(
    cand: Candidate,
    params: dict[str, Any],
    folds: Sequence[FoldData],
    schema: Sequence[FeatureSchema],
    y: np.ndarray,
    *,
    base_scores: Sequence[float],
    oof: np.ndarray,
    floor: float,
    metric: str,
    random_state: int,
    classification: bool,
    groups: np.ndarray | None = None,
    correlations: pd.DataFrame | None = None,
) -> PruningDecision:
    """Drop the features whose removal costs nothing the held-out rows can see.

    Leave-one-covariate-out on the CV folds: for each feature the winning
    setting is refitted on the same folds without it, and every training row's
    out-of-fold loss (log loss; regression: absolute or squared error) is
    compared with the full model's. A feature helps when the mean increase in
    loss without it exceeds :data:`PRUNING_Z` standard errors (clustered by
    entity); features that do not are removed together when their joint
    removal passes the same test and the model still scores at or above
    ``floor`` (the selection rule's floor), else one at a time, weakest
    evidence first, while that holds. A feature without evidence whose values
    correlate with a feature that has evidence by at least
    :data:`PARTNER_CORRELATION` is kept: leaving one of two correlated
    features out cannot show what either adds.

    Parameters
    ----------
    cand, params
        The winning candidate and setting (a linear model: the refits are
        cheap, one per fold and feature).
    folds : sequence of FoldData
        The folds the winner was scored on, in its representation.
    schema : sequence of FeatureSchema
    y : ndarray
        Encoded target.
    base_scores : sequence of float
        The winner's fold scores with every feature.
    oof : ndarray
        The winner's out-of-fold outputs with every feature.
    floor : float
        Lowest acceptable mean CV score of the reduced model.
    metric : str
    random_state : int
    classification : bool
    groups : ndarray or None, default=None
        Entity per row, for the clustered standard error.
    correlations : DataFrame or None, default=None
        Feature correlations (:func:`feature_correlations`); None keeps no
        feature for a partner's sake.

    Returns
    -------
    PruningDecision
    """
    every = list(range(len(schema)))
    valid = np.isfinite(oof)
    y_valid = y[valid]

    def losses(output: np.ndarray) -> np.ndarray:
        return row_losses(
            y_valid, output[valid], classification=classification, metric=metric
        )

    base_loss = losses(oof)
    g = None if groups is None else np.asarray(groups)[valid]

    start: list[tuple[Any, np.ndarray]] = []
    if cand.path is not None:
        # The full model per fold, to start each reduced fit from.
        for fold in folds:
            cols = _columns(fold, every)
            est = cand.make(params, random_state, len(cols))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(fold.Xt_train[:, cols], y[fold.train])
            start.append((est, cols))

    def cv(keep: list[int]) -> tuple[list[float], np.ndarray]:
        return _cv(
            cand,
            params,
            folds,
            keep,
            y,
            metric=metric,
            random_state=random_state,
            classification=classification,
            start=start,
        )

    def evidence_of(output: np.ndarray) -> tuple[float, float]:
        return clustered_mean_se(losses(output) - base_loss, g)

    evidence: dict[str, tuple[float, float]] = {}
    for i, f in enumerate(schema):
        _, out = cv([j for j in every if j != i])
        evidence[f.name] = evidence_of(out)
    weak = sorted(
        (
            i
            for i, f in enumerate(schema)
            if evidence[f.name][0] <= PRUNING_Z * evidence[f.name][1]
        ),
        key=lambda i: evidence[schema[i].name][0],
    )
    partners = _partners(weak, schema, correlations, evidence)
    weak = [i for i in weak if schema[i].name not in partners]
    kept, fold_scores, kept_oof = every, tuple(base_scores), oof

    def no_loss(scores: Sequence[float], out: np.ndarray) -> bool:
        # The set removed must show no evidence of helping either, and the
        # model without it must stay above the selection floor.
        mean, se = evidence_of(out)
        return mean <= PRUNING_Z * se and float(np.mean(scores)) >= floor

    if weak:
        trial = [j for j in every if j not in weak]
        scores, trial_oof = cv(trial) if trial else ([], oof)
        if trial and no_loss(scores, trial_oof):
            kept, fold_scores, kept_oof = trial, tuple(scores), trial_oof
        else:
            for i in weak:
                trial = [j for j in kept if j != i]
                if not trial:
                    break
                scores, trial_oof = cv(trial)
                if no_loss(scores, trial_oof):
                    kept, fold_scores, kept_oof = trial, tuple(scores), trial_oof
    loss_name = (
        "log loss"
        if classification
        else (
            "absolute error" if metric == "neg_mean_absolute_error" else "squared error"
        )
    )
    dropped = [schema[i].name for i in every if i not in kept]
    reasons = {
        name: (
            f"no evidence it helps: without it the out-of-fold {loss_name} changes "
            f"by {evidence[name][0]:+.5f} per row (standard error "
            f"{evidence[name][1]:.5f}, clustered by person; a feature must raise "
            f"the loss by more than {_se_words()} when removed); "
            f"the model without the dropped features scores CV {metric} "
            f"{np.mean(fold_scores):.4f} (floor {floor:.4f})"
        )
        for name in dropped
    }
    if dropped:
        reason = (
            f"{len(dropped)} feature(s) dropped for lack of evidence (without each, "
            f"the out-of-fold {loss_name} rises by no more than {_se_words()}): "
            + ", ".join(dropped)
            + f"; CV {np.mean(base_scores):.4f} with them, {np.mean(fold_scores):.4f} "
            "without."
        )
    elif weak:
        reason = (
            f"{len(weak)} feature(s) without evidence kept: the model without them "
            f"scores below the floor {floor:.4f}: "
            + ", ".join(schema[i].name for i in weak)
            + "."
        )
    else:
        reason = (
            f"every feature{' but those below' if partners else ''} lowers the "
            f"out-of-fold {loss_name} by more than {_se_words()}."
        )
    if partners:
        reason += (
            " Kept without evidence of its own, because leaving out one of two "
            "correlated features cannot show what either adds: "
            + ", ".join(
                f"{name} (Spearman {rho:+.2f} with {partner}; without it the "
                f"{loss_name} changes by {evidence[name][0]:+.5f} per row, standard "
                f"error {evidence[name][1]:.5f})"
                for name, (partner, rho) in partners.items()
            )
            + "."
        )
    return PruningDecision(
        kept, evidence, dropped, fold_scores, kept_oof, reason, reasons, partners
    )
