"""Probability calibration of a classifier's log-odds margin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss

__all__ = ["MarginCalibrator", "choose_calibration"]

#: Calibration must lower the out-of-fold Brier score by this relative amount.
MIN_RELATIVE_GAIN = 0.01
#: Isotonic calibration needs this many training rows (it overfits small data).
MIN_ROWS_ISOTONIC = 1000


class MarginCalibrator:
    """Map a log-odds margin to a calibrated probability (Platt or isotonic).

    Parameters
    ----------
    method : {'sigmoid', 'isotonic'}
        Platt scaling (logistic regression on the margin) or isotonic
        regression.
    """

    def __init__(self, method: str) -> None:
        if method not in ("sigmoid", "isotonic"):
            raise ValueError(
                f"calibration method must be sigmoid or isotonic: {method!r}"
            )
        self.method = method

    def fit(self, margin: np.ndarray, y: np.ndarray) -> MarginCalibrator:
        """Fit on out-of-fold margins and labels."""
        margin = np.asarray(margin, dtype=float)
        if self.method == "sigmoid":
            self.model_ = LogisticRegression(C=1e6, max_iter=1000).fit(
                margin.reshape(-1, 1), y
            )
        else:
            self.model_ = IsotonicRegression(
                y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True
            ).fit(margin, y)
        return self

    def predict_proba(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive class."""
        margin = np.asarray(margin, dtype=float)
        if self.method == "sigmoid":
            return self.model_.predict_proba(margin.reshape(-1, 1))[:, 1]
        return np.clip(self.model_.predict(margin), 1e-6, 1 - 1e-6)


@dataclass(frozen=True)
class CalibrationDecision:
    """Outcome of :func:`choose_calibration`."""

    method: str
    calibrator: MarginCalibrator | None
    brier: dict[str, float]
    log_loss: dict[str, float]
    reason: str


def choose_calibration(
    margin: np.ndarray, y: np.ndarray, fold_ids: np.ndarray
) -> CalibrationDecision:
    """Decide whether calibrating out-of-fold margins lowers the Brier score.

    Each method is scored by cross-fitting over the same folds (calibrator fit on
    the other folds' out-of-fold margins, applied to this fold) and compared with
    the uncalibrated probabilities ``expit(margin)``. The winner must gain at
    least :data:`MIN_RELATIVE_GAIN`; it is then refit on all out-of-fold margins
    (as ``CalibratedClassifierCV(ensemble=False)`` does).

    Parameters
    ----------
    margin : ndarray
        Out-of-fold log-odds margins of the selected configuration.
    y : ndarray
        0/1 labels.
    fold_ids : ndarray
        Fold index of each row.

    Returns
    -------
    CalibrationDecision
    """
    raw = np.clip(expit(margin), 1e-6, 1 - 1e-6)
    brier = {"none": float(brier_score_loss(y, raw))}
    losses = {"none": float(log_loss(y, raw, labels=[0, 1]))}
    methods = ["sigmoid"] + (["isotonic"] if len(y) >= MIN_ROWS_ISOTONIC else [])
    for method in methods:
        cross = np.empty_like(raw)
        for k in np.unique(fold_ids):
            inside = fold_ids == k
            if len(np.unique(y[~inside])) < 2:
                cross[inside] = raw[inside]
                continue
            cal = MarginCalibrator(method).fit(margin[~inside], y[~inside])
            cross[inside] = cal.predict_proba(margin[inside])
        brier[method] = float(brier_score_loss(y, cross))
        losses[method] = float(log_loss(y, cross, labels=[0, 1]))
    best = min(brier, key=brier.get)
    gain = 1.0 - brier[best] / brier["none"] if brier["none"] > 0 else 0.0
    if best == "none" or gain < MIN_RELATIVE_GAIN:
        reason = (
            f"no calibration: out-of-fold Brier {brier['none']:.4f} uncalibrated vs "
            + ", ".join(f"{m} {brier[m]:.4f}" for m in methods)
            + f" (a gain of at least {MIN_RELATIVE_GAIN:.0%} is required)"
        )
        return CalibrationDecision("none", None, brier, losses, reason)
    reason = (
        f"{best} calibration: out-of-fold Brier {brier['none']:.4f} -> "
        f"{brier[best]:.4f} ({gain:.1%} lower), log loss {losses['none']:.4f} -> "
        f"{losses[best]:.4f}"
    )
    calibrator = MarginCalibrator(best).fit(margin, y)
    return CalibrationDecision(best, calibrator, brier, losses, reason)
