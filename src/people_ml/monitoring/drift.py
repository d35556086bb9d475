"""Distribution shift of one feature: PSI, Kolmogorov-Smirnov, Jensen-Shannon.

Every feature gets the population stability index over the reference's bins:
``PSI = sum((c - r) * ln(c / r))`` over bins, with the reference share ``r``
and the current share ``c`` floored at :data:`PSI_FLOOR` so an empty bin
counts as a large shift rather than infinity (the floor Evidently uses).
Missing values are a bin of their own. Numeric features add the two-sample
Kolmogorov-Smirnov statistic (``scipy.stats.ks_2samp`` against the
reference's quantile sketch, which reproduces the training distribution
function to within ``1 / len(sketch)``; the p-value uses the training row
count, through ``scipy.stats.kstwo``); categorical features add the
Jensen-Shannon distance (``scipy.spatial.distance.jensenshannon``, base 2, so
0 is identical and 1 disjoint). Levels never seen in training are one bin,
``(unseen levels)``, whose reference share is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from people_ml.ml import level_counts, numeric_bin_counts
from people_ml.ml._reference import OTHER_LEVEL

if TYPE_CHECKING:
    from people_ml.ml import FeatureReference

__all__ = [
    "MISSING_BIN",
    "PSI_FLOOR",
    "UNSEEN_BIN",
    "Bin",
    "Shift",
    "categorical_shift",
    "numeric_shift",
    "prediction_shift",
    "psi",
]

#: Smallest share a bin counts with in the PSI.
PSI_FLOOR = 1e-4
MISSING_BIN = "(missing)"
UNSEEN_BIN = "(unseen levels)"


@dataclass(frozen=True)
class Bin:
    """One bin of a comparison: its label, edges and both shares."""

    label: str
    lower: float | None
    upper: float | None
    reference_share: float
    current_share: float
    current_rows: int


@dataclass(frozen=True)
class Shift:
    """A feature's shift: the statistics and the bins behind the PSI."""

    psi: float
    ks: float | None
    ks_p_value: float | None
    js_distance: float | None
    bins: tuple[Bin, ...]
    reference_rows: int
    current_rows: int


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    r = np.clip(np.asarray(reference, dtype=float), PSI_FLOOR, None)
    c = np.clip(np.asarray(current, dtype=float), PSI_FLOOR, None)
    return float(np.sum((c - r) * np.log(c / r)))


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _numeric_bins(
    cuts: tuple[float, ...],
    reference_shares: np.ndarray,
    counts: np.ndarray,
    n_current: int,
) -> list[Bin]:
    bins = []
    edges = [None, *cuts, None]
    for i in range(len(cuts) + 1):
        lower, upper = edges[i], edges[i + 1]
        if lower is None and upper is None:
            label = "all values"
        elif lower is None:
            label = f"<= {_fmt(upper)}"
        elif upper is None:
            label = f"> {_fmt(lower)}"
        else:
            label = f"({_fmt(lower)}, {_fmt(upper)}]"
        bins.append(
            Bin(
                label,
                lower,
                upper,
                float(reference_shares[i]),
                float(counts[i] / n_current) if n_current else 0.0,
                int(counts[i]),
            )
        )
    return bins


def _ks(
    sketch: np.ndarray, present: np.ndarray, n_reference: int
) -> tuple[float, float]:
    statistic = float(stats.ks_2samp(sketch, present).statistic)
    n_eff = n_reference * present.size / (n_reference + present.size)
    p_value = float(stats.kstwo.sf(statistic, max(1, round(n_eff))))
    return statistic, p_value


def _missing_bin(reference: FeatureReference, missing: int, n: int) -> list[Bin]:
    """The missing-value bin, when either side has missing values."""
    if not (reference.null_count or missing):
        return []
    share = missing / n if n else 0.0
    return [Bin(MISSING_BIN, None, None, reference.null_share, share, missing)]


def numeric_shift(reference: FeatureReference, values: np.ndarray) -> Shift:
    """Shift of a numeric feature's current ``values`` from its reference."""
    values = np.asarray(values, dtype=float)
    present = values[~np.isnan(values)]
    n = values.size
    missing_current = n - present.size
    non_missing = 1.0 - reference.null_share
    ref_shares = np.asarray(reference.bin_shares, dtype=float) * non_missing
    counts = numeric_bin_counts(values, reference.cut_points)
    bins = _numeric_bins(reference.cut_points, ref_shares, counts, n)
    bins += _missing_bin(reference, int(missing_current), n)
    ks = p_value = None
    if present.size and reference.sketch:
        ks, p_value = _ks(
            np.asarray(reference.sketch),
            present,
            reference.n_rows - reference.null_count,
        )
    return Shift(
        psi=psi([b.reference_share for b in bins], [b.current_share for b in bins]),
        ks=ks,
        ks_p_value=p_value,
        js_distance=None,
        bins=tuple(bins),
        reference_rows=reference.n_rows,
        current_rows=n,
    )


def categorical_shift(reference: FeatureReference, values: np.ndarray) -> Shift:
    """Shift of a categorical feature's current ``values`` from its reference."""
    counts = level_counts(np.asarray(values, dtype=object))
    n = len(values)
    missing_current = n - int(counts.sum())
    kept = set(reference.levels) - {OTHER_LEVEL}
    seen = set(reference.seen_levels)
    pooled = int(
        counts[[lv for lv in counts.index if lv in seen and lv not in kept]].sum()
    )
    unseen = int(counts[[lv for lv in counts.index if lv not in seen]].sum())
    non_missing = 1.0 - reference.null_share
    bins = []
    for level, share in zip(reference.levels, reference.level_shares, strict=True):
        count = pooled if level == OTHER_LEVEL else int(counts.get(level, 0))
        bins.append(
            Bin(level, None, None, share * non_missing, count / n if n else 0.0, count)
        )
    if unseen:
        bins.append(Bin(UNSEEN_BIN, None, None, 0.0, unseen / n, unseen))
    bins += _missing_bin(reference, int(missing_current), n)
    ref = np.array([b.reference_share for b in bins])
    cur = np.array([b.current_share for b in bins])
    js = float(jensenshannon(ref, cur, base=2)) if ref.sum() and cur.sum() else None
    return Shift(
        psi=psi(ref, cur),
        ks=None,
        ks_p_value=None,
        js_distance=None if js is None or not math.isfinite(js) else js,
        bins=tuple(bins),
        reference_rows=reference.n_rows,
        current_rows=n,
    )


def prediction_shift(
    previous: np.ndarray, current: np.ndarray, n_bins: int = 10
) -> Shift:
    """Shift of this run's predictions from the model's previous run's.

    The bins are the previous run's deciles; KS compares the two samples.
    """
    previous = np.asarray(previous, dtype=float)
    previous = previous[~np.isnan(previous)]
    current = np.asarray(current, dtype=float)
    current = current[~np.isnan(current)]
    inner = np.unique(np.quantile(previous, np.linspace(0, 1, n_bins + 1)[1:-1]))
    cuts = tuple(float(c) for c in inner if c < previous.max())
    ref_counts = numeric_bin_counts(previous, cuts)
    counts = numeric_bin_counts(current, cuts)
    ref_shares = ref_counts / ref_counts.sum()
    bins = _numeric_bins(cuts, ref_shares, counts, current.size)
    result = stats.ks_2samp(previous, current)
    return Shift(
        psi=psi(ref_shares, counts / current.size),
        ks=float(result.statistic),
        ks_p_value=float(result.pvalue),
        js_distance=None,
        bins=tuple(bins),
        reference_rows=int(previous.size),
        current_rows=int(current.size),
    )
