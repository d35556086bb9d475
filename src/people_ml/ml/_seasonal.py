"""Calibration by calendar month of the sample date.

A classifier trained on samples taken at several times of year pools them:
one set of coefficients, one intercept. When the label's window holds a
yearly event that the features see at some times of year and not at others,
the pooled model is biased by season. On the synthetic HRIS, pay bands are
reset in January and merit raises follow in April: a January sample sees the
pay gap the reset opened, most of which the April raise closes within the
12-month window, so January samples are over-predicted (out of fold, 12 to
21 % more expected than actual 12-month leavers in four training frames of
20,000 employees) and the other quarters under-predicted by 3-9 %; a build
in January told HR 15-22 % more leavers than left.

The fix is an offset in log-odds per calendar month, fitted on the
out-of-fold probabilities so that each month's expected leavers equal its
actual ones, when a joint test says the months differ beyond chance; a month
whose own miss is beyond chance (Bonferroni-corrected) keeps its offset and
the others share one (with one sample date per month and training year, a
month's offset also carries that year's own shocks: sharing averages them,
and longer histories would too); every offset is shrunk towards zero by how
precisely the data pin it down (an empirical-Bayes normal prior whose
variance is estimated from the months' spread).

Within one predict set (one sample date) the offset is a constant in
log-odds: it changes how many leavers are expected, never who ranks above
whom (ROC AUC and the risk bands are unchanged). A month the training frame
gave no offset (no samples then, or too few events: a frozen model scoring
another month) gets none.

Frames in, arrays out; nothing here knows dbt.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit
from scipy.stats import chi2, norm

__all__ = [
    "MIN_MONTH_EVENTS",
    "SIGNIFICANCE",
    "SeasonalOffsets",
    "calendar_months",
    "fit_seasonal_offsets",
]

#: A calendar month needs this many events (rows of the positive class) among
#: its training rows to get an offset of its own.
MIN_MONTH_EVENTS = 20
#: A month gets an offset only when its out-of-fold miss is significant at
#: this level (two-sided, Bonferroni-corrected for the months compared).
SIGNIFICANCE = 0.05


def calendar_months(sample_dates: pd.Series | np.ndarray | None) -> np.ndarray | None:
    """Calendar month (1-12, float; NaN for a missing date), or None without dates."""
    if sample_dates is None:
        return None
    months = pd.to_datetime(pd.Series(np.asarray(sample_dates))).dt.month
    return months.to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class SeasonalOffsets:
    """Log-odds offsets by calendar month of the sample date.

    Attributes
    ----------
    offsets : dict
        Calendar month (1-12) -> the log-odds added to the probability of
        rows sampled in that month (after shrinkage).
    unshrunk : dict
        Month -> the offset that makes its out-of-fold expected count equal
        its actual count.
    expected, actual : dict
        Month -> out-of-fold expected (sum of probabilities, before the
        offset) and actual events.
    p_value : float
        The joint test that the months' shifts are all chance.
    distinct : tuple of int
        Months whose own shift is beyond chance (they keep it; the others
        share one).
    """

    offsets: dict[int, float]
    unshrunk: dict[int, float]
    expected: dict[int, float]
    actual: dict[int, float]
    p_value: float = 1.0
    distinct: tuple[int, ...] = ()

    def apply(self, prob: np.ndarray, months: np.ndarray | None) -> np.ndarray:
        """Probabilities with each row's month offset added in log-odds."""
        prob = np.asarray(prob, dtype=float)
        if months is None or not self.active:
            return prob
        shift = np.array(
            [
                0.0 if not np.isfinite(m) else self.offsets.get(int(m), 0.0)
                for m in np.asarray(months, dtype=float)
            ]
        )
        if not np.any(shift):
            return prob
        p = np.clip(prob, 1e-12, 1 - 1e-12)
        return expit(logit(p) + shift)

    @property
    def active(self) -> bool:
        """Whether any month's offset is not zero."""
        return any(v != 0.0 for v in self.offsets.values())

    def covers(self, month: int) -> bool:
        """Whether the training frame gave this calendar month an offset."""
        return int(month) in self.offsets

    def describe(self) -> str:
        """Per month: out-of-fold expected against actual, the offset; the test."""
        parts = [f"joint test p = {self.p_value:.3g}"]
        if self.distinct:
            parts.append(
                "own offset for "
                + ", ".join(calendar.month_abbr[m] for m in self.distinct)
                + ", one shared by the others"
            )
        for m in sorted(self.offsets):
            rel = self.expected[m] / self.actual[m] - 1 if self.actual[m] else math.nan
            parts.append(
                f"{calendar.month_abbr[m]} {self.expected[m]:,.0f} expected / "
                f"{self.actual[m]:,.0f} actual ({rel:+.1%}), offset "
                f"{self.offsets[m]:+.3f} log-odds"
            )
        return "; ".join(parts)


def _solve(p: np.ndarray, target: float) -> tuple[float, float] | None:
    """The shift d with sum(expit(logit(p) + d)) == target, and its variance.

    None when no shift within +-10 log-odds gets there (probabilities stuck at
    a bound, as an isotonic calibrator's plateau can leave them).
    """
    z = logit(np.clip(p, 1e-12, 1 - 1e-12))
    try:
        d = brentq(lambda s: float(expit(z + s).sum()) - target, -10.0, 10.0)
    except ValueError:
        return None
    q = expit(z + d)
    info = float(np.sum(q * (1 - q)))
    return float(d), (1.0 / info if info > 0 else math.inf)


def fit_seasonal_offsets(
    prob: np.ndarray, y: np.ndarray, months: np.ndarray | None
) -> SeasonalOffsets | None:
    """Offsets per calendar month from out-of-fold probabilities.

    1. Each month's shift: the log-odds offset that makes its out-of-fold
       expected count equal its actual count, with its binomial variance.
    2. Any season at all? A joint chi-square test of the shifts (degrees of
       freedom: months - 1) at :data:`SIGNIFICANCE`; if not, every offset is
       zero.
    3. A month whose own shift is beyond chance (:data:`SIGNIFICANCE`,
       Bonferroni-corrected for the months) keeps it; the other months share
       one offset fitted on their rows together (so they do not keep their
       share of the distinct months' bias in the pooled calibration, and one
       year's shock in a single month is averaged with the others'). With no
       distinct month, each keeps its own.
    4. Every offset is shrunk towards zero by empirical Bayes: a normal prior
       whose variance is the months' spread beyond their sampling variance.

    Parameters
    ----------
    prob : ndarray
        Out-of-fold (calibrated) probabilities of the positive class.
    y : ndarray
        0/1 labels.
    months : ndarray or None
        Calendar month of each row's sample date (NaN: no date; such rows are
        left out).

    Returns
    -------
    SeasonalOffsets or None
        None when there are no dates, or fewer than two calendar months with
        :data:`MIN_MONTH_EVENTS` events and some non-events each (nothing to
        compare).
    """
    if months is None:
        return None
    prob = np.asarray(prob, dtype=float)
    y = np.asarray(y, dtype=float)
    month_values = np.asarray(months, dtype=float)
    ok = np.isfinite(prob) & np.isfinite(month_values)
    months = np.where(ok, month_values, 0).astype(int)
    raw, var, expected, actual = {}, {}, {}, {}
    for m in np.unique(months[ok]):
        m = int(m)
        sel = ok & (months == m)
        events = float(y[sel].sum())
        if not MIN_MONTH_EVENTS <= events < sel.sum():
            continue
        solved = _solve(prob[sel], events)
        if solved is None:
            continue
        raw[m], var[m] = solved
        expected[m], actual[m] = float(prob[sel].sum()), events
    usable = sorted(raw)
    if len(usable) < 2:
        return None
    stat = float(sum(raw[m] ** 2 / var[m] for m in usable))
    p_value = float(chi2.sf(stat, len(usable) - 1))
    if p_value >= SIGNIFICANCE:
        zeros = dict.fromkeys(usable, 0.0)
        return SeasonalOffsets(zeros, raw, expected, actual, p_value, ())
    z_crit = float(norm.ppf(1 - SIGNIFICANCE / (2 * len(usable))))
    distinct = tuple(m for m in usable if abs(raw[m]) >= z_crit * math.sqrt(var[m]))
    rest = [m for m in usable if m not in distinct]
    shift = {m: (raw[m], var[m]) for m in usable}
    if distinct and rest:
        sel = ok & np.isin(months, rest)
        solved = _solve(prob[sel], float(y[sel].sum()))
        if solved is not None:
            shift.update(dict.fromkeys(rest, solved))
    # Normal prior N(0, tau^2) on the true offsets; tau^2 by the method of
    # moments from the months' spread beyond their sampling variance.
    tau2 = max(
        0.0,
        float(np.mean([raw[m] ** 2 for m in usable]))
        - float(np.mean([var[m] for m in usable])),
    )
    offsets = {m: d * tau2 / (tau2 + v) for m, (d, v) in shift.items()}
    return SeasonalOffsets(offsets, raw, expected, actual, p_value, distinct)
