"""The training data's summary a run keeps for monitoring: bins, levels, ranges.

A trained run summarises each feature of its model over its training rows and
persists the summary in its pickle (``ModelArtifact.training['reference']``),
so every later run scored with that model compares its predict set with the
model's training data without the raw rows. Per feature:

- numeric (and dates, as days before the sample date): the inner cut points of
  ``n_bins`` quantile bins and each bin's share, a missing-value share, the
  minimum and maximum, and ``sketch_size`` evenly spaced quantiles (a sketch
  that reproduces the empirical distribution function to within
  ``1 / sketch_size``, for the Kolmogorov-Smirnov statistic);
- categorical (and booleans, as ``'true'``/``'false'``): every level's share
  (at most :data:`MAX_LEVELS`; the rest are pooled in :data:`OTHER_LEVEL`)
  and the full list of levels seen, for unseen-level checks.

The same coercion (:func:`monitoring_values`) reads the training rows and a
later predict set, so the two are compared like for like. The summary is
plain data (lists, floats, strings) so it pickles without library classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._features import FeatureSchema, coerce_features

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "MAX_LEVELS",
    "OTHER_LEVEL",
    "FeatureReference",
    "TrainingReference",
    "build_reference",
    "monitoring_values",
]

#: Levels kept per categorical feature; rarer ones are pooled.
MAX_LEVELS = 200
#: The pooled bucket of levels beyond :data:`MAX_LEVELS`.
OTHER_LEVEL = "(other levels)"
_REFERENCE_VERSION = 1


@dataclass(frozen=True)
class FeatureReference:
    """One feature's training summary.

    Attributes
    ----------
    name : str
        The feature.
    kind : {'numeric', 'categorical'}
        How it is compared (dates are numeric, booleans categorical).
    schema_kind : str
        The model's kind for the feature (numeric, boolean, date, categorical).
    n_rows : int
        Training rows.
    null_count : int
        Training rows without a value.
    cut_points : tuple of float
        Numeric: inner bin edges; bin ``i`` holds values in
        ``(cut_points[i-1], cut_points[i]]``.
    bin_shares : tuple of float
        Numeric: share of non-missing training rows per bin.
    minimum, maximum : float or None
        Numeric: the training range.
    sketch : tuple of float
        Numeric: evenly spaced quantiles of the training values.
    levels : tuple of str
        Categorical: levels in order of frequency (at most MAX_LEVELS).
    level_shares : tuple of float
        Categorical: share of non-missing rows per level (then OTHER_LEVEL).
    seen_levels : tuple of str
        Categorical: every level seen in training, sorted.
    """

    name: str
    kind: str
    schema_kind: str
    n_rows: int
    null_count: int
    cut_points: tuple[float, ...] = ()
    bin_shares: tuple[float, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    sketch: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()
    level_shares: tuple[float, ...] = ()
    seen_levels: tuple[str, ...] = ()

    @property
    def null_share(self) -> float:
        """Share of training rows without a value."""
        return self.null_count / self.n_rows if self.n_rows else 0.0


@dataclass(frozen=True)
class TrainingReference:
    """The summary of a trained run's training data, one entry per feature.

    Attributes
    ----------
    run_id : str
        The training run summarised.
    n_rows : int
        Training rows.
    columns : tuple of str
        Every candidate column of the training frame (used or not), for
        columns-gone-or-new checks.
    features : tuple of FeatureReference
        The model's features, in the model's order.
    """

    run_id: str
    n_rows: int
    columns: tuple[str, ...]
    features: tuple[FeatureReference, ...]

    def feature(self, name: str) -> FeatureReference:
        """The summary of feature ``name``."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(f"the reference of run {self.run_id} has no feature {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the pickle."""
        return {
            "version": _REFERENCE_VERSION,
            "run_id": self.run_id,
            "n_rows": self.n_rows,
            "columns": list(self.columns),
            "features": [
                {
                    k: list(v) if isinstance(v, tuple) else v
                    for k, v in f.__dict__.items()
                }
                for f in self.features
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingReference:
        """Read :meth:`to_dict`'s output back."""
        features = []
        for item in data["features"]:
            values = {
                k: tuple(v) if isinstance(v, list) else v for k, v in item.items()
            }
            features.append(FeatureReference(**values))
        return cls(
            run_id=str(data["run_id"]),
            n_rows=int(data["n_rows"]),
            columns=tuple(data["columns"]),
            features=tuple(features),
        )


def monitoring_kind(schema_kind: str) -> str:
    """How a feature of the model's ``schema_kind`` is compared."""
    return "numeric" if schema_kind in ("numeric", "date") else "categorical"


def monitoring_values(
    frame: pd.DataFrame,
    schema: Sequence[FeatureSchema],
    sample_dates: pd.Series | np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Each feature's values as monitoring compares them.

    Numeric features and dates (days before the sample date) as float arrays
    with NaN for missing; categorical levels as object arrays of ``str`` and
    booleans as ``'true'``/``'false'``, with ``None`` for missing. The same
    coercion as the model's (:func:`coerce_features`), vectorised for
    categorical columns.
    """
    out: dict[str, np.ndarray] = {}
    coerced = [f for f in schema if f.kind in ("numeric", "date", "boolean")]
    if coerced:
        numbers = coerce_features(frame, coerced, sample_dates)
        for f in coerced:
            values = numbers[f.name].to_numpy(dtype=float)
            if f.kind == "boolean":
                text = np.where(values == 1.0, "true", "false").astype(object)
                text[np.isnan(values)] = None
                out[f.name] = text
            else:
                out[f.name] = values
    for f in schema:
        if f.kind not in ("numeric", "date", "boolean"):
            s = frame[f.name]
            text = np.full(len(s), None, dtype=object)
            present = s.notna().to_numpy()
            text[present] = s[present].astype(str).to_numpy(dtype=object)
            out[f.name] = text
    return out


def _quantile_cuts(
    values: np.ndarray, n_bins: int, quantiles: np.ndarray | None = None
) -> tuple[float, ...]:
    """Inner bin edges at the deciles (``quantiles``: precomputed, in order)."""
    if values.size == 0:
        return ()
    if quantiles is None:
        quantiles = np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1])
    cuts = np.unique(quantiles)
    # A cut at the maximum would leave an empty last bin.
    top = values.max()
    return tuple(float(c) for c in cuts if c < top)


def numeric_bin_counts(values: np.ndarray, cut_points: Sequence[float]) -> np.ndarray:
    """Counts of non-missing ``values`` per bin ``(c[i-1], c[i]]``."""
    present = values[~np.isnan(values)]
    index = np.searchsorted(np.asarray(cut_points, dtype=float), present, side="left")
    return np.bincount(index, minlength=len(cut_points) + 1)


def _numeric_reference(
    f: FeatureSchema, values: np.ndarray, n_bins: int, sketch_size: int
) -> FeatureReference:
    present = values[~np.isnan(values)]
    sketch: tuple[float, ...] = ()
    cuts: tuple[float, ...] = ()
    if present.size:
        # One sort for both: the bin edges and the sketch.
        edges = np.linspace(0, 1, n_bins + 1)[1:-1]
        probs = (np.arange(sketch_size) + 0.5) / sketch_size
        quantiles = np.quantile(present, np.concatenate([edges, probs]))
        cuts = _quantile_cuts(present, n_bins, quantiles[: edges.size])
        sketch = tuple(float(q) for q in quantiles[edges.size :])
    counts = numeric_bin_counts(values, cuts)
    total = counts.sum()
    return FeatureReference(
        name=f.name,
        kind="numeric",
        schema_kind=f.kind,
        n_rows=int(values.size),
        null_count=int(values.size - present.size),
        cut_points=cuts,
        bin_shares=tuple(float(c / total) for c in counts) if total else (),
        minimum=float(present.min()) if present.size else None,
        maximum=float(present.max()) if present.size else None,
        sketch=sketch,
    )


def level_counts(values: np.ndarray) -> pd.Series:
    """Counts of each non-missing level, most frequent first (ties by name)."""
    present = values[pd.notna(values)]
    counts = pd.Series(present, dtype=object).value_counts(sort=False)
    frame = counts.rename_axis("level").reset_index(name="n")
    frame = frame.sort_values(["n", "level"], ascending=[False, True])
    return pd.Series(frame["n"].to_numpy(), index=frame["level"].astype(str))


def _categorical_reference(f: FeatureSchema, values: np.ndarray) -> FeatureReference:
    counts = level_counts(values)
    total = int(counts.sum())
    kept = counts.iloc[:MAX_LEVELS]
    shares = [float(n / total) for n in kept] if total else []
    levels = list(kept.index)
    if len(counts) > MAX_LEVELS:
        levels.append(OTHER_LEVEL)
        shares.append(float(counts.iloc[MAX_LEVELS:].sum() / total))
    return FeatureReference(
        name=f.name,
        kind="categorical",
        schema_kind=f.kind,
        n_rows=int(values.size),
        null_count=int(values.size - total),
        levels=tuple(levels),
        level_shares=tuple(shares),
        seen_levels=tuple(sorted(counts.index)),
    )


def build_reference(
    run_id: str,
    frame: pd.DataFrame,
    schema: Sequence[FeatureSchema],
    sample_dates: pd.Series | np.ndarray | None,
    *,
    columns: Iterable[str],
    n_bins: int = 10,
    sketch_size: int = 1000,
) -> TrainingReference:
    """Summarise the training rows of a run for later drift and input checks.

    Parameters
    ----------
    run_id : str
        The training run.
    frame : pandas.DataFrame
        Its training rows (raw feature columns).
    schema : sequence of FeatureSchema
        The fitted model's features.
    sample_dates : array-like or None
        Sample date per row (for date features).
    columns : iterable of str
        Every candidate column of the training frame.
    n_bins : int, default=10
        Quantile bins per numeric feature (fewer when values repeat).
    sketch_size : int, default=1000
        Quantiles kept per numeric feature for the KS statistic.

    Returns
    -------
    TrainingReference
    """
    values = monitoring_values(frame, schema, sample_dates)
    features = tuple(
        _numeric_reference(f, values[f.name], n_bins, sketch_size)
        if monitoring_kind(f.kind) == "numeric"
        else _categorical_reference(f, values[f.name])
        for f in schema
    )
    return TrainingReference(
        run_id=run_id,
        n_rows=len(frame),
        columns=tuple(str(c) for c in columns),
        features=features,
    )
