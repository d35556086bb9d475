"""Global drivers with uncertainty: importance intervals, directions, level effects.

A run's SHAP matrix says how much each feature moved each prediction. Its mean
absolute value ranks the drivers; this module says how sure that ranking is and
what each driver does (frames in, frames out):

* **Importance with an interval.** Mean |SHAP| per feature with a 95 %
  interval from :data:`BOOTSTRAP_REPLICATES` bootstrap replicates. Each
  replicate resamples the explained rows (people) with replacement and, when
  the run has refits of its model (:mod:`._refits`: the winning pipeline
  refitted on resamples of the training people), takes its SHAP values from
  one refit in turn, so the interval carries the model's uncertainty as well as
  the rows'. A refit fitted on fewer rows than the model, or explaining fewer
  rows than the run, varies more than the run's estimate: each part of a
  replicate's deviation is scaled by the square root of its size ratio (the
  m-out-of-n bootstrap; see :func:`explain_drivers`). The interval is the
  estimate plus or minus a quantile (Student's t with one degree of freedom
  fewer than the refits; normal without refits)
  times the replicates' root-mean-square deviation from the estimate, clipped
  to the statistic's range.
  Without refits (a pickle made before them) it is a plain row bootstrap:
  how precisely the predict set pins down this model's importance.
* **A direction only where the data support it.** A feature whose share of the
  total importance is below :data:`IMPORTANCE_FLOOR_SHARE` is always
  ``'unclear'``. Above it, a continuous feature is ``'higher raises'`` or
  ``'higher lowers'`` when the interval of the correlation between its value
  and its SHAP value excludes zero and the correlation is at least
  :data:`MIN_DIRECTION_CORRELATION` in size. An ordinal feature (a number with
  at most :data:`MAX_ORDINAL_LEVELS` values: ratings, levels, small counts,
  booleans) is judged by its per-level mean SHAP values: ``'higher raises'``
  when some level's effect is reliably above a lower level's and none is
  reliably below, ``'higher lowers'`` the other way round, and ``'mixed'`` when
  it both rises and falls (a U-shape). A categorical feature is ``'mixed'``
  (the effect depends on the level) when two levels differ reliably. Anything
  else is ``'unclear'``. "Reliably": the interval of the difference of the two
  levels' mean SHAP values excludes zero, at a level Bonferroni-adjusted for
  the number of pairs compared, among levels of at least
  :data:`MIN_LEVEL_ENTITIES` people.
* **Per-level effects** of ordinal and categorical features: the mean SHAP
  value of the people at each level, their count and an interval, so a U-shape
  shows (ratings 1-2 and 5 above 3-4).

:func:`explain_drivers` returns both frames without a run id; the run's frames
(:func:`people_ml.ml._outputs.importance_frame`, ``effects_frame``) add it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ._exceptions import MLError
from ._features import _FALSE, _TRUE, MAX_ORDINAL_LEVELS, MISSING_LEVEL, render_values

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "BOOTSTRAP_REPLICATES",
    "DIRECTIONS",
    "EFFECT_COLUMNS",
    "IMPORTANCE_COLUMNS",
    "IMPORTANCE_FLOOR_SHARE",
    "INTERVAL_LEVEL",
    "MIN_DIRECTION_CORRELATION",
    "Drivers",
    "explain_drivers",
]

#: A feature whose mean |SHAP| is below this share of the run's total (the sum
#: over features) gets no direction: too weak a driver to state one. The one
#: home of the importance floor; the review's driver comparison uses it too.
IMPORTANCE_FLOOR_SHARE = 0.02
#: Bootstrap replicates behind every interval (rows resampled, refits in turn).
BOOTSTRAP_REPLICATES = 200
#: Coverage of the intervals.
INTERVAL_LEVEL = 0.95
#: |correlation of value and SHAP value| a continuous feature needs for a
#: direction (as well as an interval that excludes zero).
MIN_DIRECTION_CORRELATION = 0.1
#: Levels with fewer people show their effect but take no part in a direction.
MIN_LEVEL_ENTITIES = 10
#: Categorical levels shown one by one (the models one-hot encode at most 20);
#: rarer levels are pooled as OTHER_LEVEL.
MAX_EFFECT_LEVELS = 30
OTHER_LEVEL = "(other)"
#: Values of ``direction``.
DIRECTIONS = ("higher raises", "higher lowers", "mixed", "unclear")

#: Columns of :attr:`Drivers.importance`, in order.
IMPORTANCE_COLUMNS = (
    "feature",
    "driver_kind",
    "direction",
    "direction_reason",
    "entity_count",
    "mean_abs_shap_value",
    "importance_lower",
    "importance_upper",
    "importance_share",
    "mean_shap_value",
    "value_shap_correlation",
    "correlation_lower",
    "correlation_upper",
    "importance_floor_share",
    "bootstrap_replicates",
)
#: Columns of :attr:`Drivers.effects`, in order.
EFFECT_COLUMNS = (
    "feature",
    "level_label",
    "level_order",
    "entity_count",
    "mean_shap_value",
    "mean_shap_lower",
    "mean_shap_upper",
    "is_missing_level",
    "is_other_level",
)

# Elements of the bootstrap weight matrix handled at once (rows x replicates).
_CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class Drivers:
    """The global drivers of one explained set.

    Attributes
    ----------
    importance : pandas.DataFrame
        One row per feature, most important first (:data:`IMPORTANCE_COLUMNS`).
    effects : pandas.DataFrame
        One row per ordinal or categorical feature and level, in the
        importance order and then the level order (:data:`EFFECT_COLUMNS`).
    """

    importance: pd.DataFrame
    effects: pd.DataFrame


@dataclass(frozen=True)
class _Levels:
    """The levels of one ordinal or categorical feature, coded 0..L-1."""

    codes: np.ndarray  # the level of each row
    labels: list[str]
    is_missing: list[bool]
    is_other: list[bool]
    ordered: bool

    @property
    def eligible(self) -> np.ndarray:
        """Levels that may take part in a direction (not missing, not pooled)."""
        return ~np.asarray(self.is_missing, dtype=bool) & ~np.asarray(
            self.is_other, dtype=bool
        )


def _bootstrap_weights(n: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """How often each row is drawn in each resample: (replicates, n) counts."""
    out = np.empty((replicates, n), dtype=np.uint8)
    step = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, replicates, step):
        k = min(step, replicates - start)
        draws = rng.integers(0, n, size=(k, n)) + (np.arange(k) * n)[:, None]
        # A row is drawn about once per resample: far below uint8's 255.
        counts = np.bincount(draws.ravel(), minlength=k * n)
        out[start : start + k] = counts.reshape(k, n)
    return out


def _resampled_sums(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``weights @ columns``: each column's sum in each resample."""
    out = np.empty((weights.shape[0], columns.shape[1]))
    step = max(1, _CHUNK_ELEMENTS // weights.shape[1])
    for start in range(0, weights.shape[0], step):
        out[start : start + step] = (
            weights[start : start + step].astype(float) @ columns
        )
    return out


def _interval(
    point: np.ndarray,
    samples: np.ndarray,
    quantile: float,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[np.ndarray, np.ndarray]:
    """``point`` plus or minus ``quantile`` times the replicates' spread around it.

    Per column. The spread is the root-mean-square deviation of the replicates
    from the estimate, not from their own mean, so a refit that encodes the
    data differently from the model (a category it pools that the model kept)
    widens the interval instead of shifting it away from the estimate.
    Replicates where a statistic is undefined (NaN: a level that a resample
    missed) are left out; a column with fewer than two has no interval.
    """
    point = np.asarray(point, dtype=float)
    deviation = samples - point
    defined = (~np.isnan(deviation)).sum(axis=0)
    spread = np.full(samples.shape[1], np.nan)
    ok = defined >= 2
    if ok.any():
        squares = np.nansum(deviation[:, ok] ** 2, axis=0)
        spread[ok] = np.sqrt(squares / (defined[ok] - 1))
    lower = np.clip(point - quantile * spread, *bounds)
    upper = np.clip(point + quantile * spread, *bounds)
    return lower, upper


def _as_number(s: pd.Series, kind: str) -> np.ndarray:
    """The values as floats, as the model orders them (NaN: missing or text)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        days = (pd.to_datetime(s) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return days.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    text = s.astype("string").str.strip()
    number = pd.to_numeric(text.to_numpy(dtype=object, na_value=None), errors="coerce")
    number = np.asarray(number, dtype=float)
    if kind == "boolean":
        low = text.str.lower()
        for words, value in ((_TRUE, 1.0), (_FALSE, 0.0)):
            hit = low.isin(list(words)).fillna(False).to_numpy(dtype=bool)
            number = np.where(hit, value, number)
    return number


def _kind_of(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    return "categorical"


def _driver_kind(s: pd.Series, kind: str, x: np.ndarray) -> str:
    """continuous, ordinal or categorical: how a direction is judged."""
    present = ~np.isnan(x)
    few = len(np.unique(x[present])) <= MAX_ORDINAL_LEVELS
    if kind in ("numeric", "boolean"):
        return "ordinal" if few else "continuous"
    if kind == "date":
        return "continuous"
    # Numbers held as text (a rating stored as a category) keep their order.
    if present.any() and present.sum() == s.notna().sum() and few:
        return "ordinal"
    return "categorical"


def _ordinal_levels(s: pd.Series, x: np.ndarray) -> _Levels:
    present = ~np.isnan(x)
    values, first = np.unique(x[present], return_index=True)
    labels = render_values(s)[np.flatnonzero(present)[first]]
    codes = np.full(len(x), len(values), dtype=int)
    codes[present] = np.searchsorted(values, x[present])
    names = [str(label) for label in labels]
    missing = [False] * len(names)
    if not present.all():
        names.append(MISSING_LEVEL)
        missing.append(True)
    return _Levels(codes, names, missing, [False] * len(names), ordered=True)


def _categorical_levels(s: pd.Series) -> _Levels:
    text = pd.Series(render_values(s), dtype="object")
    counts = text.value_counts(dropna=True)
    # The most frequent levels (ties by label) are shown, in label order.
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    names = sorted(str(label) for label, _ in ranked[:MAX_EFFECT_LEVELS])
    codes = text.map({label: i for i, label in enumerate(names)})
    is_other = [False] * len(names)
    if len(ranked) > MAX_EFFECT_LEVELS:
        codes = codes.where(text.isna() | codes.notna(), len(names))
        names.append(OTHER_LEVEL)
        is_other.append(True)
    is_missing = [False] * len(names)
    if text.isna().any():
        codes = codes.fillna(len(names))
        names.append(MISSING_LEVEL)
        is_missing.append(True)
        is_other.append(False)
    return _Levels(
        codes.to_numpy(dtype=int), names, is_missing, is_other, ordered=False
    )


def _quantile(level: float, df: int | None) -> float:
    """Two-sided quantile of an interval: Student's t with ``df``, else normal."""
    tail = (1.0 + level) / 2.0
    if df is None:
        return float(stats.norm.ppf(tail))
    return float(stats.t.ppf(tail, df))


def _reliable_pairs(
    means: np.ndarray,
    samples: np.ndarray,
    eligible: np.ndarray,
    level: float,
    df: int | None,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Level pairs (i < j) whose mean SHAP reliably rises / falls from i to j.

    Every pair of eligible levels is compared, so the level of each
    comparison is Bonferroni-adjusted: with 30 departments (435 pairs) one of
    them would otherwise differ "reliably" by chance alone.
    """
    idx = np.flatnonzero(eligible)
    first, second = np.triu_indices(len(idx), k=1)
    i, j = idx[first], idx[second]
    adjusted = 1.0 - (1.0 - level) / len(i)
    lower, upper = _interval(
        means[j] - means[i], samples[:, j] - samples[:, i], _quantile(adjusted, df)
    )
    # Equal effects (a linear model's one-hot levels) differ by rounding only.
    tol = 1e-9 * max(float(np.nanmax(np.abs(means[idx]))), 1e-12)
    rises = [(int(a), int(b)) for a, b, lo in zip(i, j, lower, strict=True) if lo > tol]
    falls = [
        (int(a), int(b)) for a, b, hi in zip(i, j, upper, strict=True) if hi < -tol
    ]
    return rises, falls


def _level_direction(
    levels: _Levels,
    means: np.ndarray,
    samples: np.ndarray,
    counts: np.ndarray,
    level: float,
    df: int | None,
) -> tuple[str, str]:
    """Direction of an ordinal or categorical feature from its level effects."""
    eligible = levels.eligible & (counts >= MIN_LEVEL_ENTITIES)
    if eligible.sum() < 2:
        return "unclear", f"fewer than two levels of {MIN_LEVEL_ENTITIES}+ people"
    rises, falls = _reliable_pairs(means, samples, eligible, level, df)
    names = levels.labels

    def biggest(pairs: list[tuple[int, int]]) -> tuple[str, str]:
        a, b = max(pairs, key=lambda p: (abs(means[p[1]] - means[p[0]]), p))
        return names[a], names[b]

    if not rises and not falls:
        return "unclear", "no level's effect differs from another's beyond chance"
    if not levels.ordered:
        a, b = biggest(rises + falls)
        return "mixed", f"depends on the level (most between {a} and {b})"
    if rises and falls:
        (a, b), (c, d) = biggest(rises), biggest(falls)
        return "mixed", f"rises from {a} to {b} and falls from {c} to {d}"
    if rises:
        a, b = biggest(rises)
        return "higher raises", f"rises from {a} to {b}; no level falls reliably"
    a, b = biggest(falls)
    return "higher lowers", f"falls from {a} to {b}; no level rises reliably"


def _correlation_direction(
    corr: float, lower: float, upper: float, level: float
) -> tuple[str, str]:
    """Direction of a continuous feature from its value-SHAP correlation."""
    if np.isnan(corr):
        return "unclear", "the value or its SHAP value does not vary"
    shown = f"value-SHAP correlation {corr:.2f}"
    interval = f"{level:.0%} interval {lower:.2f} to {upper:.2f}"
    if abs(corr) < MIN_DIRECTION_CORRELATION:
        return "unclear", f"{shown}, weaker than {MIN_DIRECTION_CORRELATION:g}"
    if lower > 0:
        return "higher raises", f"{shown} ({interval})"
    if upper < 0:
        return "higher lowers", f"{shown} ({interval})"
    return "unclear", f"{shown}, but its {interval} spans zero"


def _correlation_columns(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Columns (1, x, y, x^2, y^2, xy) over the rows where both are present."""
    valid = ~np.isnan(x) & ~np.isnan(y)
    xv = np.where(valid, x, 0.0)
    yv = np.where(valid, y, 0.0)
    if valid.any():  # centred, so the resampled sums do not cancel
        xv = np.where(valid, xv - xv[valid].mean(), 0.0)
        yv = np.where(valid, yv - yv[valid].mean(), 0.0)
    return np.column_stack([valid.astype(float), xv, yv, xv * xv, yv * yv, xv * yv])


def _correlation(sums: np.ndarray) -> np.ndarray:
    """Pearson correlation from the sums of :func:`_correlation_columns`."""
    n, sx, sy, sxx, syy, sxy = (sums[:, k] for k in range(6))
    with np.errstate(divide="ignore", invalid="ignore"):
        cxx = sxx - sx * sx / n
        cyy = syy - sy * sy / n
        cxy = sxy - sx * sy / n
        # A constant value or SHAP value (up to rounding) has no correlation.
        varies = (cxx > 1e-12 * sxx) & (cyy > 1e-12 * syy) & (n > 1)
        corr = np.where(varies, cxy / np.sqrt(cxx * cyy), np.nan)
    return np.clip(corr, -1.0, 1.0)


def _empty(features: list[str], floor_share: float) -> Drivers:
    importance = pd.DataFrame(
        {
            "feature": features,
            "driver_kind": None,
            "direction": "unclear",
            "direction_reason": "no rows explained",
            "entity_count": 0,
            "importance_floor_share": floor_share,
            "bootstrap_replicates": 0,
        },
        columns=list(IMPORTANCE_COLUMNS),
    )
    return Drivers(importance, pd.DataFrame(columns=list(EFFECT_COLUMNS)))


def _blocks(
    x: np.ndarray, y: np.ndarray, codes: np.ndarray | None, n_levels: int, kind: str
) -> np.ndarray:
    """Per-row columns whose sums give every statistic of one feature.

    (1, |SHAP|), then for continuous and ordinal features the correlation's
    (1, x, y, x^2, y^2, xy), then per level its indicator and SHAP value.
    """
    n = len(y)
    blocks = [np.ones((n, 1)), np.abs(y)[:, None]]
    if kind != "categorical":
        blocks.append(_correlation_columns(x, y))
    if codes is not None:
        onehot = np.zeros((n, n_levels))
        onehot[np.arange(n), codes] = 1.0
        blocks += [onehot, onehot * y[:, None]]
    return np.column_stack(blocks)


def _statistics(sums: np.ndarray, kind: str, n_levels: int) -> dict[str, np.ndarray]:
    """Mean |SHAP|, correlation and level means from the sums of :func:`_blocks`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {"importance": sums[:, 1] / sums[:, 0]}
        start = 2
        if kind != "categorical":
            out["correlation"] = _correlation(sums[:, 2:8])
            start = 8
        if n_levels:
            counts = sums[:, start : start + n_levels]
            totals = sums[:, start + n_levels : start + 2 * n_levels]
            out["counts"] = counts
            out["means"] = np.where(counts > 0, totals / counts, np.nan)
    return out


def _rescaled(
    point: dict[str, np.ndarray],
    own: dict[str, np.ndarray],
    refit: dict[str, np.ndarray],
    row_scale: float,
    model_scale: np.ndarray,
) -> dict[str, np.ndarray]:
    """Replicates as ``point + row_scale (own - point) + scale (refit - own)``.

    ``own``: the model's statistic on a replicate's resampled rows; ``refit``:
    the replicate's refit's on the same rows. The first difference is the
    rows' sampling, the second the model's; each is scaled to the sizes the
    run's estimate rests on (see :func:`explain_drivers`), except a level's
    effect where the refit saw fewer than :data:`MIN_LEVEL_ENTITIES` of its
    people (about ``fraction`` times the level's explained people).
    """
    out = dict(refit)
    for key in ("importance", "correlation", "means"):
        if key not in refit:
            continue
        scale = model_scale.reshape((-1,) + (1,) * (refit[key].ndim - 1))
        if key == "means":
            # A level the refit saw few people of (fraction x people below
            # MIN_LEVEL_ENTITIES) rests on the penalty more than on the data:
            # its spread is no model's fitted on more rows; keep it unscaled.
            seen = scale**2 * point["counts"] >= MIN_LEVEL_ENTITIES
            scale = np.where(seen, scale, 1.0)
        out[key] = (
            point[key]
            + row_scale * (own[key] - point[key])
            + scale * (refit[key] - own[key])
        )
    return out


def explain_drivers(
    values: pd.DataFrame,
    shap_values: pd.DataFrame,
    *,
    refit_shap_values: Sequence[pd.DataFrame] = (),
    refit_rows: np.ndarray | None = None,
    refit_fractions: Sequence[float] | None = None,
    kinds: Mapping[str, str] | None = None,
    replicates: int = BOOTSTRAP_REPLICATES,
    level: float = INTERVAL_LEVEL,
    floor_share: float = IMPORTANCE_FLOOR_SHARE,
    random_state: int = 0,
) -> Drivers:
    """Importance with intervals, supported directions and per-level effects.

    Parameters
    ----------
    values : pandas.DataFrame
        The explained rows' original feature values, one column per feature.
    shap_values : pandas.DataFrame
        The model's SHAP values of those rows: the same columns, rows in the
        same order. The estimates come from these.
    refit_shap_values : sequence of pandas.DataFrame, optional
        SHAP values of the rows ``refit_rows`` under refits of the model on
        resamples of its training data (:func:`._refits.explain_refits`). When
        given, replicate ``b`` resamples those rows and takes its SHAP values
        from refit ``b % len(refit_shap_values)``; else replicates resample
        the rows of ``shap_values``.
    refit_rows : ndarray of int, optional
        Positions in ``values`` of the rows the refits explained (default:
        all).
    refit_fractions : sequence of float, optional
        Each refit's resample rows over the model's training rows
        (:func:`._refits.resample_fractions`; default: 1 each). A replicate's
        deviation from the estimate is split in two and each part scaled to
        what the run's own data would show: the refit's departure from the
        model on the resampled rows by ``sqrt(fraction)`` (a model fitted on
        ``m`` of ``n`` rows varies ``sqrt(n / m)`` times as much), and the
        resampled rows' departure from all explained rows by ``sqrt(len(
        refit_rows) / len(values))``. A level's effect keeps its refit's
        departure unscaled where ``fraction`` times the level's people is below
        :data:`MIN_LEVEL_ENTITIES`: a refit that saw a handful of them rests on
        its penalty, not on a smaller sample of the model's data.
    kinds : mapping of str to str, optional
        The model's kind of each feature (``'numeric'``, ``'boolean'``,
        ``'categorical'``, ``'date'``, as in :class:`FeatureSchema`); by
        default read from the dtypes. A numeric or boolean feature with at
        most :data:`MAX_ORDINAL_LEVELS` distinct values is ordinal, and so is
        a categorical one whose values are all such numbers; other numbers and
        dates are continuous.
    replicates : int, default=BOOTSTRAP_REPLICATES
        Bootstrap replicates; at least 2.
    level : float, default=INTERVAL_LEVEL
        Coverage of the intervals.
    floor_share : float, default=IMPORTANCE_FLOOR_SHARE
        Share of the total importance below which a direction is ``'unclear'``.
    random_state : int, default=0
        Seed of the resamples.

    Returns
    -------
    Drivers
        ``importance``: per feature, ``driver_kind`` (continuous, ordinal or
        categorical), ``direction`` (one of :data:`DIRECTIONS`) and the reason
        for it, the entity count, mean |SHAP| with its interval and share of
        the total, the mean SHAP value and the value-SHAP correlation with its
        interval (continuous and ordinal features). ``effects``: per ordinal or
        categorical feature and level, the level's label (the value as the
        SHAP values table renders it; ``'(missing)'``, and ``'(other)'`` for
        pooled rare categories), its order (1, 2, ... by value for ordinal
        features, by label for categories; missing last), entity count, mean
        SHAP value and its interval.

    Raises
    ------
    MLError
        The frames do not hold the same features and rows, or ``replicates``
        is below 2.
    """
    if list(values.columns) != list(shap_values.columns) or len(values) != len(
        shap_values
    ):
        raise MLError(
            "explain_drivers needs the feature values and SHAP values of the same "
            f"rows and features: got values {values.shape} with columns "
            f"{list(values.columns)[:5]} and SHAP values {shap_values.shape} with "
            f"{list(shap_values.columns)[:5]}"
        )
    if replicates < 2:
        raise MLError(f"explain_drivers needs replicates >= 2, got {replicates}")
    features = [str(c) for c in values.columns]
    n = len(values)
    if n == 0:
        return _empty(features, floor_share)
    rows_r = np.arange(n) if refit_rows is None else np.asarray(refit_rows, dtype=int)
    refits = [
        frame[features].to_numpy(dtype=float, na_value=np.nan)
        for frame in refit_shap_values
    ]
    if any(len(r) != len(rows_r) for r in refits):
        raise MLError("every refit's SHAP values need one row per refit row")
    fractions = np.ones(len(refits))
    if refit_fractions is not None:
        fractions = np.asarray(refit_fractions, dtype=float)
        if (
            len(fractions) != len(refits)
            or not ((fractions > 0) & (fractions <= 1)).all()
        ):
            raise MLError(
                f"refit_fractions needs one fraction in (0, 1] per refit; got "
                f"{list(fractions)} for {len(refits)} refit(s)"
            )
    df = len(refits) - 1 if len(refits) > 1 else None
    quantile = _quantile(level, df)
    shap = shap_values.to_numpy(dtype=float, na_value=np.nan)
    rng = np.random.default_rng(random_state)
    # Per replicate: how much of its refit's departure from the model counts.
    model_scale = np.ones(replicates)
    row_scale = 1.0
    if refits:
        weights = _bootstrap_weights(len(rows_r), replicates, rng)
        sources = [
            (rows_r, refit, np.arange(r, replicates, len(refits)))
            for r, refit in enumerate(refits)
        ]
        for r in range(len(refits)):
            model_scale[r :: len(refits)] = np.sqrt(fractions[r])
        row_scale = float(np.sqrt(len(rows_r) / n))
    else:
        weights = _bootstrap_weights(n, replicates, rng)
        sources = [(np.arange(n), shap, np.arange(replicates))]
    mean_abs = np.abs(shap).mean(axis=0)
    total = float(mean_abs.sum())
    shares = mean_abs / total if total > 0 else np.zeros(len(features))
    rows, effects = [], []
    for j, name in enumerate(features):
        s = values.iloc[:, j]
        kind = (kinds or {}).get(name) or _kind_of(s)
        x = _as_number(s, kind)
        driver_kind = _driver_kind(s, kind, x)
        levels = None
        if driver_kind == "ordinal":
            levels = _ordinal_levels(s, x)
        elif driver_kind == "categorical":
            levels = _categorical_levels(s)
        codes = None if levels is None else levels.codes
        k = 0 if levels is None else len(levels.labels)
        point = _statistics(
            _blocks(x, shap[:, j], codes, k, driver_kind).sum(axis=0)[None, :],
            driver_kind,
            k,
        )
        sampled = np.empty((replicates, 0))
        for source_rows, source_shap, which in sources:
            block = _blocks(
                x[source_rows],
                source_shap[:, j],
                None if codes is None else codes[source_rows],
                k,
                driver_kind,
            )
            if not sampled.shape[1]:
                sampled = np.full((replicates, block.shape[1]), np.nan)
            sampled[which] = _resampled_sums(weights[which], block)
        replicated = _statistics(sampled, driver_kind, k)
        if refits:
            # The model's own SHAP values on the same resampled rows.
            block = _blocks(
                x[rows_r],
                shap[rows_r, j],
                None if codes is None else codes[rows_r],
                k,
                driver_kind,
            )
            own = _statistics(_resampled_sums(weights, block), driver_kind, k)
            replicated = _rescaled(point, own, replicated, row_scale, model_scale)
        importance = float(point["importance"][0])
        imp_lower, imp_upper = _interval(
            point["importance"],
            replicated["importance"][:, None],
            quantile,
            (0, np.inf),
        )
        corr = corr_lower = corr_upper = np.nan
        if driver_kind != "categorical":
            corr = float(point["correlation"][0])
            lo, hi = _interval(
                point["correlation"],
                replicated["correlation"][:, None],
                quantile,
                (-1.0, 1.0),
            )
            corr_lower, corr_upper = float(lo[0]), float(hi[0])

        share = float(shares[j])
        if levels is not None:
            counts = point["counts"][0]
            means = point["means"][0]
            lower, upper = _interval(means, replicated["means"], quantile)
            effects += [
                {
                    "feature": name,
                    "level_label": label,
                    "level_order": code + 1,
                    "entity_count": int(counts[code]),
                    "mean_shap_value": means[code],
                    "mean_shap_lower": lower[code],
                    "mean_shap_upper": upper[code],
                    "is_missing_level": levels.is_missing[code],
                    "is_other_level": levels.is_other[code],
                }
                for code, label in enumerate(levels.labels)
            ]
        if share < floor_share:
            direction, reason = (
                "unclear",
                (
                    f"below the importance floor: {share:.1%} of the total "
                    f"importance (floor {floor_share:.0%})"
                ),
            )
        elif levels is not None:
            direction, reason = _level_direction(
                levels, means, replicated["means"], counts, level, df
            )
        else:
            direction, reason = _correlation_direction(
                corr, corr_lower, corr_upper, level
            )
        rows.append(
            {
                "feature": name,
                "driver_kind": driver_kind,
                "direction": direction,
                "direction_reason": reason,
                "entity_count": n,
                "mean_abs_shap_value": importance,
                "importance_lower": float(imp_lower[0]),
                "importance_upper": float(imp_upper[0]),
                "importance_share": share,
                "mean_shap_value": float(shap[:, j].mean()),
                "value_shap_correlation": corr,
                "correlation_lower": corr_lower,
                "correlation_upper": corr_upper,
                "importance_floor_share": floor_share,
                "bootstrap_replicates": replicates,
            }
        )

    importance = (
        pd.DataFrame(rows, columns=list(IMPORTANCE_COLUMNS))
        .sort_values(
            ["mean_abs_shap_value", "feature"],
            ascending=[False, True],
            kind="mergesort",
        )
        .reset_index(drop=True)
    )
    rank = {name: i for i, name in enumerate(importance["feature"])}
    effect_frame = pd.DataFrame(effects, columns=list(EFFECT_COLUMNS))
    if len(effect_frame):
        effect_frame = (
            effect_frame.assign(_rank=effect_frame["feature"].map(rank))
            .sort_values(["_rank", "level_order"], kind="mergesort")
            .drop(columns="_rank")
            .reset_index(drop=True)
        )
    return Drivers(importance, effect_frame)
