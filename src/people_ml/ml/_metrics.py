"""Selection scores, decision thresholds and long-format evaluation metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

__all__ = ["METRIC_COLUMNS", "choose_threshold", "evaluate", "selection_score"]

METRIC_COLUMNS: tuple[str, ...] = ("metric", "class_label", "value")


def _best_f1(y: np.ndarray, score: np.ndarray) -> float:
    threshold = choose_threshold(y, score, positive_only=True)
    pred = (score >= threshold).astype(int)
    tp = float(np.sum((pred == 1) & (y == 1)))
    denom = float(np.sum(pred == 1) + np.sum(y == 1))
    return 2 * tp / denom if denom else 0.0


def selection_score(metric: str, y: np.ndarray, output: np.ndarray) -> float:
    """Score validation rows with the spec metric (higher is better).

    Parameters
    ----------
    metric : str
        A spec metric name.
    y : ndarray
        0/1 labels or regression targets.
    output : ndarray
        Log-odds margin (classification) or prediction (regression).

    Returns
    -------
    float
        ``f1`` is the best attainable positive-class F1 over thresholds (the
        decision threshold is set afterwards, out of fold), ``neg_log_loss`` uses
        ``expit(margin)``.
    """
    if metric == "roc_auc":
        return float(roc_auc_score(y, output))
    if metric == "average_precision":
        return float(average_precision_score(y, output))
    if metric == "f1":
        return _best_f1(y, output)
    if metric == "neg_log_loss":
        return -float(
            log_loss(y, np.clip(expit(output), 1e-15, 1 - 1e-15), labels=[0, 1])
        )
    if metric == "neg_mean_absolute_error":
        return -float(mean_absolute_error(y, output))
    if metric == "neg_root_mean_squared_error":
        return -float(root_mean_squared_error(y, output))
    if metric == "r2":
        return float(r2_score(y, output))
    raise ValueError(f"unknown metric {metric!r}")


def minority_class(y: np.ndarray) -> int:
    """The less frequent class of 0/1 labels (1 on a tie)."""
    return 1 if np.sum(y == 1) <= np.sum(y == 0) else 0


def choose_threshold(
    y: np.ndarray, prob: np.ndarray, *, positive_only: bool = False
) -> float:
    """Threshold on ``prob`` that maximises the minority class's F1.

    Rows with ``prob >= threshold`` are predicted 1. The threshold is the midpoint
    between two consecutive distinct scores, so it does not sit on an observed
    value. Call it with out-of-fold predictions of the training period only.

    Parameters
    ----------
    y : ndarray
        0/1 labels.
    prob : ndarray
        Scores (probabilities) aligned with ``y``.
    positive_only : bool, default=False
        Maximise class 1's F1 whatever the class balance.

    Returns
    -------
    float
    """
    y = np.asarray(y).astype(int)
    prob = np.asarray(prob, dtype=float)
    order = np.argsort(-prob, kind="mergesort")
    p_sorted = prob[order]
    y_sorted = y[order]
    n = len(y)
    n_pos = int(y.sum())
    n_neg = n - n_pos
    k = np.arange(1, n)  # predict the top k rows as class 1
    boundary = p_sorted[k - 1] > p_sorted[k]
    if not boundary.any():
        return 0.5
    k = k[boundary]
    tp = np.cumsum(y_sorted)[k - 1]
    fp = k - tp
    if positive_only or minority_class(y) == 1:
        f1 = 2 * tp / (2 * tp + fp + (n_pos - tp))
    else:
        tn = n_neg - fp
        f1 = 2 * tn / (2 * tn + (n_pos - tp) + fp)
    best = int(np.argmax(f1))
    kb = k[best]
    return float((p_sorted[kb - 1] + p_sorted[kb]) / 2.0)


def evaluate(
    y: np.ndarray,
    prediction: np.ndarray,
    *,
    problem_type: str,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Evaluation metrics in long format.

    Parameters
    ----------
    y : ndarray
        0/1 labels or regression targets.
    prediction : ndarray
        Positive-class probability or regression prediction.
    problem_type : str
        ``'binary_classification'`` or ``'regression'``.
    threshold : float or None
        Decision threshold (classification); None means 0.5.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``class_label`` (nullable string), ``value``.
        Classification: precision, recall, f1, support per class; roc_auc,
        pr_auc, brier, log_loss, threshold, confusion counts (true_negative,
        false_positive, false_negative, true_positive), n_rows, prevalence.
        Metrics undefined with a single class are omitted. Regression: mae,
        rmse, r2, n_rows; mean_bias, the mean of prediction minus target
        (positive: predicted too high), and mean_bias_share, the mean
        prediction over the mean target minus 1 (omitted when the mean target
        is 0).
    """
    y = np.asarray(y)
    pred = np.asarray(prediction, dtype=float)
    rows: list[tuple[str, str | None, float]] = [("n_rows", None, float(len(y)))]
    if len(y) == 0:
        return _frame(rows)
    if problem_type == "regression":
        rows += [
            ("mae", None, float(mean_absolute_error(y, pred))),
            ("rmse", None, float(root_mean_squared_error(y, pred))),
        ]
        if len(y) > 1 and np.ptp(y) > 0:
            rows.append(("r2", None, float(r2_score(y, pred))))
        # A ratio of means, not the mean of per-row ratios: the latter is
        # above 0 even for a model that is right on average (Jensen), and the
        # pay page compares average actual with average expected pay.
        bias = float(np.mean(pred - y))
        rows.append(("mean_bias", None, bias))
        mean_y = float(np.mean(y))
        if mean_y != 0:
            rows.append(("mean_bias_share", None, bias / mean_y))
        return _frame(rows)
    y = y.astype(int)
    thr = 0.5 if threshold is None else float(threshold)
    cls = (pred >= thr).astype(int)
    prec, rec, f1, support = precision_recall_fscore_support(
        y, cls, labels=[0, 1], zero_division=0.0
    )
    for label in (0, 1):
        rows += [
            ("precision", str(label), float(prec[label])),
            ("recall", str(label), float(rec[label])),
            ("f1", str(label), float(f1[label])),
            ("support", str(label), float(support[label])),
        ]
    both = len(np.unique(y)) == 2
    if both:
        rows += [
            ("roc_auc", None, float(roc_auc_score(y, pred))),
            ("pr_auc", None, float(average_precision_score(y, pred))),
        ]
    clipped = np.clip(pred, 1e-15, 1 - 1e-15)
    rows += [
        ("brier", None, float(brier_score_loss(y, pred, labels=[0, 1]))),
        ("log_loss", None, float(log_loss(y, clipped, labels=[0, 1]))),
        ("threshold", None, thr),
        ("prevalence", None, float(y.mean())),
    ]
    tn, fp, fn, tp = confusion_matrix(y, cls, labels=[0, 1]).ravel()
    rows += [
        ("true_negative", None, float(tn)),
        ("false_positive", None, float(fp)),
        ("false_negative", None, float(fn)),
        ("true_positive", None, float(tp)),
    ]
    return _frame(rows)


def _frame(rows: list[tuple[str, str | None, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    frame["class_label"] = frame["class_label"].astype("string")
    frame["value"] = frame["value"].astype(float)
    return frame


def is_finite(value: float) -> bool:
    """True unless NaN or infinite."""
    return not (math.isnan(value) or math.isinf(value))
