"""Can a run's evaluation be trusted? Minority counts and CV/test agreement.

A classifier's test metrics and CV score rest on the rows of its rarer class:
a test period with one leaver gives a ROC AUC of 0 or 1 by luck, and a CV fold
with three leavers a score that swings with them. These checks turn such runs
into ``warning`` rows of the run's ``warnings`` table instead of a clean
record with a good-looking score.

Rules
-----
``test_too_few_minority``
    The test period holds fewer than ``min_minority_rows`` rows of its rarer
    class (and both classes; one class is ``test_single_class``).
``cv_fold_too_few_minority``
    Some CV fold validates on fewer than ``min_minority_rows`` rows of the
    training period's rarer class.
``cv_test_disagree``
    The test score of the selection metric (greater is better) lies below the
    CV mean by more than
    ``DISAGREEMENT_SPREADS`` (2) times their combined spread,
    ``sqrt(std(fold scores)**2 + se(test)**2)``: the spread of the CV fold
    scores plus the test score's own sampling noise (its bootstrap standard
    error over ``BOOTSTRAP_ROUNDS`` resamples of the test rows). The fold
    spread alone is too narrow: three fold scores often agree to 0.005 while a
    test period of a few dozen leavers moves ROC AUC by 0.03 by chance, so the
    warning fired on half of the healthy synthetic runs tried. Not checked when
    the test period is too small to trust anyway.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._exceptions import RunWarning

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

__all__ = [
    "BOOTSTRAP_ROUNDS",
    "DISAGREEMENT_SPREADS",
    "MIN_MINORITY_ROWS",
    "bootstrap_se",
    "check_cv_folds",
    "check_cv_test_agreement",
    "check_test_period",
    "minority_count",
]

#: Default of the spec's ``min_minority_rows``: fewer rows of the rarer class
#: than this in the test period or a CV fold make its score untrustworthy
#: (with 10 cases one more or fewer caught moves recall by 10 points).
MIN_MINORITY_ROWS = 10
#: Test and CV disagree beyond this many combined standard deviations.
DISAGREEMENT_SPREADS = 2.0
#: Bootstrap resamples of the test rows for the test score's standard error.
BOOTSTRAP_ROUNDS = 100

_WHAT_TO_DO = (
    "Use more history, a longer label horizon or fewer cv_folds so each holds "
    "more cases, or treat the metric as unreliable"
)


def _day(date: pd.Timestamp | None) -> str:
    if date is None:
        return "none"
    return str(date.date()) if date == date.normalize() else date.isoformat()


def minority_count(y: np.ndarray) -> tuple[int, int]:
    """The rarer of classes 0/1 in ``y`` (1 on a tie) and its row count."""
    y = np.asarray(y).astype(int)
    n_pos = int(np.sum(y == 1))
    n_neg = len(y) - n_pos
    return (1, n_pos) if n_pos <= n_neg else (0, n_neg)


def check_test_period(
    y: np.ndarray, *, test_date: pd.Timestamp | None, min_rows: int
) -> list[RunWarning]:
    """``test_too_few_minority`` when the test period's rarer class is too small.

    Parameters
    ----------
    y : ndarray
        0/1 labels of the test period.
    test_date : pandas.Timestamp or None
        The test period, named in the message.
    min_rows : int
        The spec's ``min_minority_rows``.

    Returns
    -------
    list of RunWarning
        Empty when the period holds one class (``test_single_class`` covers it)
        or enough rows of each.
    """
    label, count = minority_count(y)
    if count == 0 or count >= min_rows:
        return []
    return [
        RunWarning(
            "warning",
            "test_too_few_minority",
            f"the test period {_day(test_date)} holds {count} row(s) of class "
            f"{label} (its rarer class) among {len(y)} rows, fewer than "
            f"min_minority_rows={min_rows}: its ROC AUC, precision, recall and F1 "
            f"rest on too few cases to trust. {_WHAT_TO_DO}.",
        )
    ]


def check_cv_folds(
    fold_class_counts: Sequence[tuple[int, int]], *, min_rows: int
) -> list[RunWarning]:
    """``cv_fold_too_few_minority`` when a CV fold's rarer class is too small.

    Parameters
    ----------
    fold_class_counts : sequence of (int, int)
        Validation rows of class 0 and class 1 per fold
        (:attr:`AutoMLResult.fold_class_counts`); empty for regression.
    min_rows : int
        The spec's ``min_minority_rows``.

    Returns
    -------
    list of RunWarning
        At most one warning, naming every fold below the minimum.
    """
    if not fold_class_counts:
        return []
    totals = np.sum(np.asarray(fold_class_counts), axis=0)
    label = 1 if totals[1] <= totals[0] else 0
    few = [
        (k, c[label]) for k, c in enumerate(fold_class_counts) if c[label] < min_rows
    ]
    if not few:
        return []
    folds = ", ".join(f"fold {k}: {n}" for k, n in few)
    return [
        RunWarning(
            "warning",
            "cv_fold_too_few_minority",
            f"{len(few)} of {len(fold_class_counts)} CV folds validate on fewer "
            f"than min_minority_rows={min_rows} rows of class {label} (the "
            f"training period's rarer class; {folds}): the CV score that chose "
            f"the model and its threshold is unreliable. {_WHAT_TO_DO}.",
        )
    ]


def bootstrap_se(
    score: Callable[[np.ndarray, np.ndarray], float],
    y: np.ndarray,
    output: np.ndarray,
    *,
    random_state: int,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> float:
    """Bootstrap standard error of ``score(y, output)`` over resampled rows.

    Resamples where the score is undefined (one class drawn) are skipped; NaN
    when fewer than two resamples remain.
    """
    y, output = np.asarray(y), np.asarray(output)
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(rounds):
        rows = rng.integers(0, len(y), len(y))
        try:
            value = score(y[rows], output[rows])
        except ValueError:
            continue
        if math.isfinite(value):
            values.append(value)
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def check_cv_test_agreement(
    fold_scores: Sequence[float],
    test_score: float,
    test_se: float,
    *,
    metric: str,
    test_date: pd.Timestamp | None,
) -> list[RunWarning]:
    """``cv_test_disagree`` when the test score is outside the CV spread.

    Flags ``mean(folds) - test > DISAGREEMENT_SPREADS * sqrt(std(folds)**2 +
    test_se**2)``: only a test score worse than CV (a better one is expected:
    test rows are people seen in training, grouped CV holds people out). The
    folds' standard deviation is the population one, as recorded in
    ``candidates``.

    Parameters
    ----------
    fold_scores : sequence of float
        The winner's per-fold scores of the selection metric.
    test_score : float
        The same metric on the test period.
    test_se : float
        Its standard error (:func:`bootstrap_se`); NaN counts as 0.
    metric : str
        Its name.
    test_date : pandas.Timestamp or None
        The test period, named in the message.

    Returns
    -------
    list of RunWarning
        Empty when they agree or a score is not finite.
    """
    scores = np.asarray(fold_scores, dtype=float)
    if (
        len(scores) < 2
        or not np.isfinite(scores).all()
        or not math.isfinite(test_score)
    ):
        return []
    se = test_se if math.isfinite(test_se) else 0.0
    mean, std = float(scores.mean()), float(scores.std())
    tolerance = DISAGREEMENT_SPREADS * math.hypot(std, se)
    # One-sided: a test period scoring well above CV is expected, since its
    # rows are people the model saw in training while grouped CV holds people
    # out; only a test period doing worse than CV says the model may not hold.
    gap = mean - test_score
    if gap <= tolerance:
        return []
    return [
        RunWarning(
            "warning",
            "cv_test_disagree",
            f"the test period {_day(test_date)} scores {metric} {test_score:.4f} "
            f"(standard error {se:.4f}), but CV scored {mean:.4f} ± {std:.4f} over "
            f"{len(scores)} folds (fold range {scores.min():.4f} .. "
            f"{scores.max():.4f}): the gap {gap:.4f} exceeds "
            f"{DISAGREEMENT_SPREADS:g} x their combined spread ({tolerance:.4f}). "
            "The latest period may differ from the training period (drift, a "
            "changed target definition, leakage in training); check the data "
            "before trusting either score.",
        )
    ]
