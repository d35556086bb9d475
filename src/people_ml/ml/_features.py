"""Feature type detection, the persisted feature schema and input coercion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from people_ml.quality.checks import ISO_DATE as _ISO_DATE
from people_ml.quality.checks import is_code_name

from ._exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_ORDINAL_LEVELS",
    "SKEW_THRESHOLD",
    "FeatureSchema",
    "coerce_features",
    "detect_type",
    "render_values",
]

_TRUE = frozenset({"yes", "y", "true", "t"})
_FALSE = frozenset({"no", "n", "false", "f"})
_ID_NAME = re.compile(r"(^id$|_id$|^id_|uuid|guid|number$|_key$|^key$)", re.IGNORECASE)
#: Value used for a missing categorical level before one-hot encoding.
MISSING_LEVEL = "(missing)"
#: Numeric features whose values are 3 to this many integers (scales, ratings,
#: levels, small counts) are also offered to linear models as categories.
MAX_ORDINAL_LEVELS = 10
#: Non-negative numeric features with more levels and a sample skewness above this
#: are also offered to linear models on a log scale (log1p).
SKEW_THRESHOLD = 1.0


@dataclass(frozen=True)
class FeatureSchema:
    """What the fitted pipeline expects of one original feature.

    Attributes
    ----------
    name : str
        Column name in the input frame.
    kind : {'numeric', 'boolean', 'categorical', 'date'}
        How the column is coerced before the pipeline (dates become days before
        the sample date).
    source_dtype : str
        The pandas dtype seen at training.
    categories : tuple of str or None
        Levels seen at training (categorical only).
    levels : tuple of float or None
        The values seen at training when a numeric feature has 3 to
        :data:`MAX_ORDINAL_LEVELS` of them (ordinal: a scale, rating, level or
        FTE step); None otherwise. Pickles made before this field read None.
    skewed : bool
        A non-negative numeric feature with more levels whose skewness exceeds
        :data:`SKEW_THRESHOLD` (counts, amounts, durations).
    n_distinct : int or None
        Distinct non-null values at training (numeric only; None in older
        pickles).
    """

    name: str
    kind: str
    source_dtype: str
    categories: tuple[str, ...] | None = None
    levels: tuple[float, ...] | None = None
    skewed: bool = False
    n_distinct: int | None = None

    @property
    def shape(self) -> str:
        """How a numeric feature's values are distributed: the representation key.

        ``ordinal`` (3 to :data:`MAX_ORDINAL_LEVELS` levels), ``skewed``
        (non-negative with a long right tail), ``continuous`` (more levels),
        ``binary`` (two levels, or unknown in an older pickle); other kinds
        return their kind.
        """
        if self.kind != "numeric":
            return self.kind
        if self.levels is not None:
            return "ordinal"
        if self.n_distinct is None or self.n_distinct <= MAX_ORDINAL_LEVELS:
            return "binary"
        return "skewed" if self.skewed else "continuous"


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)


def _boolean_text(values: pd.Series) -> bool:
    lowered = set(values.astype(str).str.strip().str.lower())
    return len(lowered) == 2 and (
        lowered <= _TRUE | _FALSE and bool(lowered & _TRUE) and bool(lowered & _FALSE)
    )


def detect_type(
    s: pd.Series, *, groups: pd.Series | np.ndarray | None = None
) -> tuple[str, str]:
    """Detect a column's type for profiling.

    Parameters
    ----------
    s : pandas.Series
        The column.
    groups : array-like or None
        Entity ids aligned with ``s``; a column that is one distinct value per
        entity and unique across entities is identifier-like.

    Returns
    -------
    (detected_type, note) : tuple of str
        ``detected_type`` is one of numeric, categorical, boolean, date,
        identifier; ``note`` explains identifier detection (else '').
    """
    values = s.dropna()
    n = len(values)
    if pd.api.types.is_bool_dtype(s):
        return "boolean", ""
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date", ""
    if pd.api.types.is_numeric_dtype(s):
        uniq = np.unique(values.to_numpy(dtype=float)) if n else np.array([])
        # Numbers that happen to be 0/1 in training stay numeric: a count such
        # as manager changes can reach 2 later, and scaled 0/1 numbers model
        # the same as booleans. Only bool dtypes and yes/no text are boolean.
        if n >= 20 and len(uniq) == n and np.all(np.mod(uniq, 1) == 0):
            span = uniq.max() - uniq.min() + 1
            if _ID_NAME.search(str(s.name)) or span <= 2 * n:
                return "identifier", "distinct integers on a dense range (id-like)"
        if _id_per_entity(s, groups) and (
            _ID_NAME.search(str(s.name)) or np.all(np.mod(uniq, 1) == 0)
        ):
            return "identifier", "one distinct integer per entity (id-like)"
        if (
            _ID_NAME.search(str(s.name))
            and len(uniq) > 20
            and np.all(np.mod(uniq, 1) == 0)
        ):
            return "identifier", "integer codes with an id-like name"
        if is_code_name(str(s.name)) and np.all(np.mod(uniq, 1) == 0):
            # A department id or a zip code: categories, never a scaled number.
            return "categorical", "integer codes with a code-like name"
        return "numeric", ""
    if _is_text(s) or isinstance(s.dtype, pd.CategoricalDtype):
        if n == 0:
            return "categorical", ""
        sample = values.head(1000)
        if pd.api.types.infer_dtype(sample, skipna=True) in ("date", "datetime"):
            return "date", ""
        text = sample.astype(str)
        if _boolean_text(values):
            return "boolean", ""
        if text.str.match(_ISO_DATE).all():
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            if parsed.notna().all():
                return "date", ""
        distinct = values.astype(str).nunique()
        if distinct > 20 and (
            distinct > 0.5 * n
            or _id_per_entity(s, groups)
            or _ID_NAME.search(str(s.name))
        ):
            return "identifier", f"{distinct} distinct text values (id-like)"
        return "categorical", ""
    return "categorical", ""


def _id_per_entity(s: pd.Series, groups: pd.Series | np.ndarray | None) -> bool:
    if groups is None:
        return False
    frame = pd.DataFrame({"v": s.to_numpy(), "g": np.asarray(groups)}).dropna()
    n_entities = frame["g"].nunique()
    if n_entities < 20:
        return False
    per_entity = frame.groupby("g")["v"].nunique()
    return bool((per_entity == 1).all() and frame["v"].nunique() == n_entities)


def make_schema(
    frame: pd.DataFrame, features: Sequence[str], kinds: Sequence[str]
) -> tuple[FeatureSchema, ...]:
    """Build the persisted schema of the final features."""
    out = []
    for name, kind in zip(features, kinds, strict=True):
        cats, levels, skewed, n_distinct = None, None, False, None
        if kind == "categorical":
            cats = tuple(sorted(frame[name].dropna().astype(str).unique()))
        elif kind == "numeric":
            levels, skewed, n_distinct = numeric_shape(frame[name])
        out.append(
            FeatureSchema(
                name, kind, str(frame[name].dtype), cats, levels, skewed, n_distinct
            )
        )
    return tuple(out)


def numeric_shape(s: pd.Series) -> tuple[tuple[float, ...] | None, bool, int]:
    """Ordinal levels and skewness of a numeric column, from its training values.

    Parameters
    ----------
    s : pandas.Series
        A numeric (or numeric-text) column.

    Returns
    -------
    (levels, skewed, n_distinct) : tuple
        ``levels``: the sorted distinct values when there are 3 to
        :data:`MAX_ORDINAL_LEVELS` of them (scales, ratings, levels, FTE
        steps), else None. ``skewed``: True when there are more distinct values,
        none negative, and the sample skewness exceeds :data:`SKEW_THRESHOLD`.
        ``n_distinct``: distinct non-null values.
    """
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    uniq = np.unique(values)
    n = len(uniq)
    if 3 <= n <= MAX_ORDINAL_LEVELS:
        return tuple(float(v) for v in uniq), False, n
    if n <= MAX_ORDINAL_LEVELS or uniq[0] < 0:
        return None, False, n
    sd = values.std()
    skew = float(np.mean((values - values.mean()) ** 3) / sd**3) if sd > 0 else 0.0
    return None, skew > SKEW_THRESHOLD, n


def _to_boolean(s: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype=float)
        bad = ~np.isnan(values) & ~np.isin(values, [0.0, 1.0])
        if bad.any():
            raise DataError(
                f"boolean feature {name!r} holds values other than 0/1: "
                f"{sorted(set(values[bad]))[:5]}"
            )
        return values
    text = s.astype(object).where(s.notna(), None)
    out = np.full(len(s), np.nan)
    for i, v in enumerate(text):
        if v is None:
            continue
        low = str(v).strip().lower()
        if low in _TRUE or low == "1":
            out[i] = 1.0
        elif low in _FALSE or low == "0":
            out[i] = 0.0
        else:
            raise DataError(
                f"boolean feature {name!r} holds {v!r}; expected yes/no, true/false, "
                "y/n or 0/1."
            )
    return out


def _to_numeric(s: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    parsed = pd.to_numeric(s, errors="coerce")
    bad = parsed.isna() & s.notna()
    if bad.any():
        raise DataError(
            f"numeric feature {name!r} has dtype {s.dtype} with non-numeric values, "
            f"e.g. {s[bad].iloc[0]!r}"
        )
    return parsed.to_numpy(dtype=float, na_value=np.nan)


def _to_days_before(
    s: pd.Series, sample_dates: pd.Series | None, name: str
) -> np.ndarray:
    if sample_dates is None:
        raise DataError(
            f"date feature {name!r} needs sample dates to become days before the "
            "sample date."
        )
    try:
        dates = (
            pd.to_datetime(s, format="ISO8601") if _is_text(s) else pd.to_datetime(s)
        )
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"date feature {name!r} cannot be read as dates: {exc}"
        ) from exc
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    ref = pd.to_datetime(pd.Series(np.asarray(sample_dates), index=s.index))
    delta = (ref - dates).dt.total_seconds() / 86400.0
    return delta.to_numpy(dtype=float, na_value=np.nan)


def _to_text(s: pd.Series) -> np.ndarray:
    """Each value as ``str(value)``, ``np.nan`` for missing (object array).

    Rendered once per distinct value (a column has few), not once per row. An
    object column of mixed types renders row by row: ``1``, ``1.0`` and
    ``True`` are one value to a hash table but three categories here.
    """
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in (
        "string",
        "empty",
    ):
        return np.array(
            [np.nan if pd.isna(v) else str(v) for v in s.astype(object)],
            dtype=object,
        )
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    # Code -1 (missing) reads the last label: nan.
    labels = np.array([*(str(u) for u in uniques), np.nan], dtype=object)
    return labels[codes]


def coerce_features(
    frame: pd.DataFrame,
    schema: Sequence[FeatureSchema],
    sample_dates: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Convert raw feature columns into what the fitted pipeline expects.

    Numeric, boolean and date features become float64 (dates as days before the
    sample date); categorical features become object columns of str with
    ``np.nan`` for missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        Must hold every schema column.
    schema : sequence of FeatureSchema
        The features, in pipeline order.
    sample_dates : array-like or None
        Sample date per row (needed only for date features).

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``, one column per schema entry.

    Raises
    ------
    DataError
        A column is missing or cannot be converted to its schema type.
    """
    missing = [f.name for f in schema if f.name not in frame]
    if missing:
        raise DataError(f"feature column(s) missing from the frame: {missing}")
    cols: dict[str, object] = {}
    for f in schema:
        s = frame[f.name]
        if f.kind == "numeric":
            cols[f.name] = _to_numeric(s, f.name)
        elif f.kind == "boolean":
            cols[f.name] = _to_boolean(s, f.name)
        elif f.kind == "date":
            cols[f.name] = _to_days_before(s, sample_dates, f.name)
        elif f.kind == "categorical":
            cols[f.name] = _to_text(s)
        else:
            raise DataError(f"feature {f.name!r} has unsupported kind {f.kind!r}")
    return pd.DataFrame(cols, index=frame.index)


def render_values(s: pd.Series) -> np.ndarray:
    """String rendering of original feature values (None for missing)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime("%Y-%m-%d")
        has_time = (s.dropna() != s.dropna().dt.normalize()).any()
        if has_time:
            text = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
        return np.array([None if pd.isna(v) else v for v in text], dtype=object)
    if pd.api.types.is_float_dtype(s):
        return np.array(
            [None if pd.isna(v) else format(float(v), ".12g") for v in s], dtype=object
        )
    return np.array(
        [None if pd.isna(v) else str(v) for v in s.astype(object)], dtype=object
    )
