"""Refits of the chosen model on resamples of the training people.

How sure is a driver? Resampling the explained rows says how precisely the
predict set pins down *this* model's SHAP importance, but not whether another
sample of the same people would have given the model the same coefficient or
split: a linear model's SHAP value is exactly ``coef * (x - mean)``, so a noise
feature's direction looks certain to a row bootstrap whatever the sign of its
tiny coefficient. So a trained run also refits the winning pipeline (the same
algorithm, settings and preprocessing, nothing re-tuned) :data:`REFIT_COUNT`
times, each on a bootstrap resample of the training *entities* (a person's rows
stay together, as in the CV folds), and keeps the refits in the artifact. The
drivers (:mod:`._drivers`) explain the predict set with every refit, so the
intervals and directions carry the model's uncertainty as well as the rows'.
A scored run explains its predict set with the frozen refits: nothing is
fitted when scoring.

Cost is bounded: each refit sees at most :data:`REFIT_MAX_ROWS` rows and
explains at most :data:`REFIT_EXPLAIN_ROWS` predict rows. On larger training
sets a refit sees ``m`` of the model's ``n`` rows, and a model fitted on fewer
rows varies more: each refit keeps its ``resample_fraction`` ``m / n``, and the
drivers scale its deviation from the model by ``sqrt(m / n)`` (the m-out-of-n
bootstrap; Bickel, Goetze and van Zwet 1997), so the intervals describe a model
fitted on all ``n`` rows. Refits in older pickles have no fraction and are
taken as they are (intervals on the wide side).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ._target import encode_target
from ._threads import limit_threads

if TYPE_CHECKING:
    from ._model import FittedModel

__all__ = [
    "REFIT_COUNT",
    "REFIT_EXPLAIN_ROWS",
    "REFIT_MAX_ROWS",
    "explain_refits",
    "fit_refits",
    "resample_fractions",
]

#: Refits of the winning pipeline behind the drivers' intervals.
REFIT_COUNT = 8
#: Training rows a refit sees at most (whole entities, drawn with replacement).
REFIT_MAX_ROWS = 20_000
#: Predict rows each refit explains at most (a fixed random sample).
REFIT_EXPLAIN_ROWS = 5_000


def _entity_bootstrap(
    groups: np.ndarray, max_rows: int, rng: np.random.Generator, count: int = 1
) -> list[np.ndarray]:
    """Row positions of entities drawn with replacement, at most ``max_rows``.

    ``count`` resamples, drawn one after another from ``rng``; the entities
    are indexed once for all of them.
    """
    codes, _ = pd.factorize(pd.Series(groups), sort=True)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    target = min(len(groups), max_rows)
    resamples = []
    for _ in range(count):
        drawn = rng.integers(0, len(sizes), size=len(sizes))
        keep = np.cumsum(sizes[drawn]) <= target
        keep[0] = True  # at least one entity, however large
        drawn = drawn[keep]
        lengths = sizes[drawn]
        # Each drawn entity's rows, concatenated: start + 0, 1, ..., length - 1.
        offsets = np.repeat(starts[drawn] - np.cumsum(lengths) + lengths, lengths)
        resamples.append(order[offsets + np.arange(lengths.sum())])
    return resamples


def fit_refits(
    model: FittedModel,
    frame: pd.DataFrame,
    target: pd.Series,
    *,
    groups: np.ndarray,
    sample_dates: pd.Series | np.ndarray | None,
    count: int = REFIT_COUNT,
    max_rows: int = REFIT_MAX_ROWS,
    random_state: int = 0,
) -> tuple[FittedModel, ...]:
    """Refit the model's pipeline on bootstrap resamples of the training entities.

    Parameters
    ----------
    model : FittedModel
        The chosen, fitted model: its pipeline is cloned (same settings).
    frame : pandas.DataFrame
        The training rows with the model's feature columns.
    target : pandas.Series
        Their target, as in the spec (encoded here as the model was).
    groups : ndarray
        Entity id of each row: entities are drawn, never single rows.
    sample_dates : array-like or None
        Sample dates of the rows (date features are days before them).
    count : int, default=REFIT_COUNT
    max_rows : int, default=REFIT_MAX_ROWS
    random_state : int, default=0

    Returns
    -------
    tuple of FittedModel
        The refits (the model's schema, threshold and calibrator, a refitted
        pipeline and, for linear models, its own background moments). A
        resample holding one class only is skipped.
    """
    if count < 1 or len(frame) == 0:
        return ()
    y = encode_target(target, model.problem_type)
    rng = np.random.default_rng(random_state)
    draws = _entity_bootstrap(np.asarray(groups), max_rows, rng, count)
    # Prepare only the rows some resample drew (a row's preparation reads that
    # row alone): a hazard's training rows are many times the refits' budget.
    drawn = np.unique(np.concatenate(draws))
    dates = None if sample_dates is None else np.asarray(sample_dates)[drawn]
    prepared = model.prepare(frame.iloc[drawn], dates)
    refits = []
    for rows in draws:
        if model.problem_type != "regression" and len(np.unique(y[rows])) < 2:
            continue
        pipeline = clone(model.pipeline)
        X = prepared.iloc[np.searchsorted(drawn, rows)]
        with limit_threads(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipeline.fit(X, y[rows])
        mean = cov = None
        if model.family == "linear":
            Xt = np.asarray(pipeline.named_steps["preprocess"].transform(X), float)
            mean, cov = Xt.mean(axis=0), np.atleast_2d(np.cov(Xt, rowvar=False))
        refits.append(
            replace(
                model,
                pipeline=pipeline,
                background_mean=mean,
                background_cov=cov,
                resample_fraction=len(rows) / len(frame),
            )
        )
    return tuple(refits)


def explain_refits(
    refits: tuple[FittedModel, ...],
    prepared: pd.DataFrame,
    *,
    max_rows: int = REFIT_EXPLAIN_ROWS,
    random_state: int = 0,
) -> tuple[np.ndarray, list[pd.DataFrame]]:
    """SHAP values of a sample of the predict rows under every refit.

    Parameters
    ----------
    refits : tuple of FittedModel
        From :func:`fit_refits` (or a frozen artifact).
    prepared : pandas.DataFrame
        The predict rows, prepared for the model.
    max_rows : int, default=REFIT_EXPLAIN_ROWS
    random_state : int, default=0

    Returns
    -------
    (rows, shap_values) : tuple
        Positions of the rows explained (sorted; all of them when there are at
        most ``max_rows``) and one SHAP frame per refit (features as columns,
        those rows in order).
    """
    n = len(prepared)
    if not refits or n == 0:
        return np.arange(n), []
    rows = np.arange(n)
    if n > max_rows:
        rows = np.sort(
            np.random.default_rng(random_state).choice(n, max_rows, replace=False)
        )
    X = prepared.iloc[rows]
    frames = []
    for refit in refits:
        expl = refit.explain(X)
        frames.append(pd.DataFrame(expl.values, columns=list(expl.features)))
    return rows, frames


def resample_fractions(refits: tuple[FittedModel, ...]) -> tuple[float, ...]:
    """Each refit's rows over the model's (1 where a pickle did not record it)."""
    return tuple(
        1.0 if getattr(r, "resample_fraction", None) is None else r.resample_fraction
        for r in refits
    )
