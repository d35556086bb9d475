"""Exploratory profile of candidate features: type, quality, treatment, status."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from ._exceptions import DataError
from ._features import detect_type

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "LEAKAGE_THRESHOLD",
    "MAX_MISSING_SHARE",
    "MAX_ONEHOT_CATEGORIES",
    "PROFILE_COLUMNS",
    "onehot_min_frequency",
    "profile_features",
]

#: Features with a larger share of missing values are dropped.
MAX_MISSING_SHARE = 0.5
#: Single-feature association at or above which a feature is a leakage suspect.
LEAKAGE_THRESHOLD = 0.98
#: One-hot encoders keep at most this many columns per feature (rest grouped).
MAX_ONEHOT_CATEGORIES = 20
_MIN_ROWS_FOR_LEAKAGE = 30

PROFILE_COLUMNS: tuple[str, ...] = (
    "feature",
    "detected_type",
    "missing_share",
    "distinct_count",
    "treatment",
    "status",
    "reason",
    "target_association",
    "association_measure",
    "is_leakage_suspect",
    "n_observations",
)


def onehot_min_frequency(n_rows: int) -> int:
    """Minimum count for a level to get its own one-hot column (else grouped)."""
    return max(5, math.ceil(0.005 * n_rows))


def _association(
    s: pd.Series, kind: str, y: np.ndarray, problem_type: str
) -> tuple[float, str | None]:
    """Univariate association with the target, in [0, 1] (NaN if undefined)."""
    if kind == "categorical":
        codes = s.astype(object).where(s.notna(), "(missing)").astype(str)
        if problem_type == "binary_classification":
            table = pd.crosstab(codes.to_numpy(), y)
            if table.shape[0] < 2 or table.shape[1] < 2:
                return math.nan, "cramers_v"
            chi2 = stats.chi2_contingency(table.to_numpy(), correction=False)[0]
            v = math.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))
            return float(v), "cramers_v"
        frame = pd.DataFrame({"c": codes.to_numpy(), "y": y})
        total = ((frame["y"] - frame["y"].mean()) ** 2).sum()
        if total == 0:
            return math.nan, "correlation_ratio"
        means = frame.groupby("c")["y"].agg(["mean", "size"])
        between = (means["size"] * (means["mean"] - frame["y"].mean()) ** 2).sum()
        return float(math.sqrt(between / total)), "correlation_ratio"
    if kind == "date":
        x = pd.to_datetime(s, errors="coerce")
        values = (
            (x - pd.Timestamp("1970-01-01"))
            .dt.total_seconds()
            .to_numpy(dtype=float, na_value=np.nan)
        )
    elif kind == "boolean":
        text = s.astype(object).where(s.notna(), None)
        values = np.array(
            [
                np.nan
                if v is None
                else float(
                    str(v).strip().lower() in {"1", "1.0", "yes", "y", "true", "t"}
                )
                for v in text
            ]
        )
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    ok = ~np.isnan(values)
    if ok.sum() < 3:
        return math.nan, None
    if problem_type == "binary_classification":
        if len(np.unique(y[ok])) < 2:
            return math.nan, "roc_auc_folded"
        auc = roc_auc_score(y[ok], values[ok])
        return float(max(auc, 1.0 - auc)), "roc_auc_folded"
    if np.ptp(values[ok]) == 0 or np.ptp(y[ok]) == 0:
        return math.nan, "abs_spearman"
    rho = stats.spearmanr(values[ok], y[ok]).statistic
    return float(abs(rho)), "abs_spearman"


def _treatment(s: pd.Series, kind: str, missing: float, n_rows: int) -> str:
    if kind == "numeric":
        impute = "median impute + missing indicator" if missing else "median impute"
        return f"{impute} + standard scale"
    if kind == "boolean":
        return "0/1 encode + mode impute"
    if kind == "date":
        return "days before sample_date + median impute + standard scale"
    counts = s.astype(str)[s.notna()].value_counts()
    k = len(counts)
    rare = int((counts < onehot_min_frequency(n_rows)).sum())
    kept = k - rare
    if kept > MAX_ONEHOT_CATEGORIES - 1:
        rare += kept - (MAX_ONEHOT_CATEGORIES - 1)
    parts = [f"{k} levels"]
    if rare:
        parts.append(f"{rare} rare grouped")
    if missing:
        parts.append("missing as a level")
    return f"one-hot ({', '.join(parts)}; unknown levels ignored)"


def profile_features(
    X: pd.DataFrame,
    y: np.ndarray | pd.Series | None = None,
    *,
    problem_type: str = "binary_classification",
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    keep_columns: Sequence[str] = (),
    dropped: Mapping[str, str] | None = None,
    groups: pd.Series | np.ndarray | None = None,
    has_sample_dates: bool = False,
) -> pd.DataFrame:
    """Profile every column of ``X`` and decide which become model features.

    Parameters
    ----------
    X : pandas.DataFrame
        Candidate columns (without entity id, sample date and target).
    y : array-like or None
        Encoded target (0/1 or float) aligned with ``X``; None skips the target
        association and the leakage check.
    problem_type : {'binary_classification', 'regression'}
        Chooses the association measure.
    features : sequence of str or None
        Explicit feature list; other columns are dropped.
    exclude : sequence of str
        Columns dropped as excluded by the spec.
    keep_columns : sequence of str
        Columns kept for analysis only (never features).
    dropped : mapping of str to str, optional
        Columns dropped for the reason given (the data-quality gate's).
    groups : array-like or None
        Entity id per row (for identifier detection on panel data).
    has_sample_dates : bool, default=False
        Whether date features can be converted to days before the sample date;
        otherwise they are dropped.

    Returns
    -------
    pandas.DataFrame
        One row per column with :data:`PROFILE_COLUMNS`. ``status`` is
        ``selected`` (used after standard treatment), ``processed`` (used after a
        conversion into a different quantity, e.g. a date into days) or
        ``dropped`` (never reaches the estimator); ``reason`` says why.

    Raises
    ------
    DataError
        A listed feature is not a column of ``X``.
    """
    if features is not None:
        absent = [f for f in features if f not in X.columns]
        if absent:
            raise DataError(
                f"spec features {absent} are not columns of the input frame; "
                f"available: {list(X.columns)[:30]}"
            )
    dropped = dict(dropped or {})
    y_arr = None if y is None else np.asarray(y)
    n_rows = len(X)
    rows = []
    for col in X.columns:
        s = X[col]
        missing = float(s.isna().mean()) if n_rows else 0.0
        distinct = int(s.nunique(dropna=True))
        kind, note = detect_type(s, groups=groups)
        status, reason = "selected", "passes checks"
        assoc, measure, leak = math.nan, None, False
        if kind != "identifier" and distinct > 1 and y_arr is not None:
            assoc, measure = _association(s, kind, y_arr, problem_type)
            leak = bool(
                not math.isnan(assoc)
                and assoc >= LEAKAGE_THRESHOLD
                and s.notna().sum() >= _MIN_ROWS_FOR_LEAKAGE
            )
        if col in keep_columns:
            status, reason = (
                "dropped",
                "kept for analysis (keep_columns): never a feature",
            )
        elif col in exclude:
            status, reason = "dropped", "excluded by spec"
        elif col in dropped:
            status, reason = "dropped", dropped[col]
        elif features is not None and col not in features:
            status, reason = "dropped", "not listed in spec features"
        elif missing > MAX_MISSING_SHARE:
            status, reason = "dropped", f"> 50 % missing ({missing:.0%})"
        elif distinct <= 1:
            status, reason = "dropped", "constant (at most one distinct value)"
        elif kind == "identifier":
            status, reason = "dropped", f"identifier-like: {note}"
        elif leak:
            status, reason = (
                "dropped",
                f"leakage suspect: single-feature {measure} = {assoc:.3f} "
                f">= {LEAKAGE_THRESHOLD}",
            )
        elif kind == "date" and not has_sample_dates:
            status, reason = (
                "dropped",
                "date not used directly (no sample date to measure it from)",
            )
        elif kind == "date":
            status, reason = (
                "processed",
                "date not used directly: converted to days before sample_date",
            )
        treatment = (
            "none" if status == "dropped" else _treatment(s, kind, missing, n_rows)
        )
        rows.append(
            {
                "feature": str(col),
                "detected_type": kind,
                "missing_share": missing,
                "distinct_count": distinct,
                "treatment": treatment,
                "status": status,
                "reason": reason,
                "target_association": assoc,
                "association_measure": measure,
                "is_leakage_suspect": leak,
                "n_observations": n_rows,
            }
        )
    table = pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
    return table.astype(
        {
            "missing_share": float,
            "distinct_count": "int64",
            "target_association": float,
            "is_leakage_suspect": bool,
            "n_observations": "int64",
        }
    )
