"""Choosing among cross-validated settings: the one-standard-error rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SELECTION_RULES", "SelectionDecision", "select_candidate"]

#: ``one_standard_error`` (the default): the simplest setting whose CV score is
#: within one standard error of the best; ``best``: the highest CV score.
SELECTION_RULES: tuple[str, ...] = ("one_standard_error", "best")


class CandidateResult(Protocol):
    """What the rule reads of a setting (an ``_automl.CandidateResult``)."""

    algorithm: str
    params: dict[str, Any]
    cv_score: float
    fold_scores: tuple[float, ...]


@dataclass(frozen=True)
class SelectionDecision:
    """What the selection rule decided.

    Attributes
    ----------
    chosen : int
        Index of the chosen setting.
    best : int
        Index of the setting with the highest mean CV score.
    floor : float
        Lowest mean CV score the rule accepted (the best score minus its
        standard error; the best score itself under ``best``).
    standard_error : float
        Standard error of the best setting's mean CV score (fold scores' sample
        standard deviation over the square root of the number of folds).
    reason : str
        One sentence for the run's notes.
    """

    chosen: int
    best: int
    floor: float
    standard_error: float
    reason: str


def _describe(result: CandidateResult) -> str:
    return f"{result.algorithm} {result.params} (CV {result.cv_score:.4f})"


def select_candidate(
    results: Sequence[CandidateResult],
    complexity: Sequence[tuple[float, ...]],
    *,
    rule: str = "one_standard_error",
) -> SelectionDecision:
    """Pick a setting: the simplest within one standard error of the best.

    A more complex setting is chosen only when it beats every simpler one by
    more than the spread of the cross-validation estimate (Hastie, Tibshirani &
    Friedman, *The Elements of Statistical Learning*, 7.10): differences inside
    it are as likely to be fold noise as signal, and the simpler model is the
    more stable one (drivers, calibration, scoring cost).

    Parameters
    ----------
    results : sequence of CandidateResult
        Every setting tried (mean and fold scores, higher is better).
    complexity : sequence of tuple
        Sort key of each setting, simplest first (see
        :meth:`Candidate.complexity_key`).
    rule : {'one_standard_error', 'best'}, default='one_standard_error'

    Returns
    -------
    SelectionDecision

    Raises
    ------
    ValueError
        An unknown rule, or no results.
    """
    if rule not in SELECTION_RULES:
        raise ValueError(f"selection rule {rule!r} not in {SELECTION_RULES}")
    if not results:
        raise ValueError("no cross-validated settings to choose from")
    scores = np.array([r.cv_score for r in results], dtype=float)
    best = int(np.argmax(scores))
    folds = np.asarray(results[best].fold_scores, dtype=float)
    se = float(np.std(folds, ddof=1) / math.sqrt(len(folds))) if len(folds) > 1 else 0.0
    if rule == "best" or not math.isfinite(scores[best]):
        return SelectionDecision(
            best,
            best,
            float(scores[best]),
            se,
            f"selection rule 'best': the highest CV score, {_describe(results[best])}.",
        )
    floor = float(scores[best] - se)
    eligible = [i for i in range(len(results)) if scores[i] >= floor]
    chosen = min(eligible, key=lambda i: (complexity[i], -scores[i]))
    if chosen == best:
        reason = (
            f"one-standard-error rule: the best, {_describe(results[best])}, is "
            f"also the simplest of the {len(eligible)} setting(s) within one "
            f"standard error ({se:.4f}; floor {floor:.4f})."
        )
    else:
        reason = (
            f"one-standard-error rule: the best, {_describe(results[best])}, does "
            f"not beat the simpler {_describe(results[chosen])} by more than one "
            f"standard error ({se:.4f}; floor {floor:.4f}), so the simpler one is "
            f"chosen ({len(eligible)} of {len(results)} settings within the floor)."
        )
    return SelectionDecision(chosen, best, floor, se, reason)
