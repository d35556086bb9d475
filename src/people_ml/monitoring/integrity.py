"""Input the model never saw: unseen levels, values out of range, new nulls, columns.

Each finding is one row per run, feature and kind of issue, with the number
and share of predict-set rows affected and up to five example values:

``unseen_category`` (warning)
    a categorical feature holds levels absent from the model's training data
    (a renamed department, a new region); the model encodes them as its
    infrequent level or as all zeros, so their predictions rest on nothing.
``unexpected_null`` (warning)
    a feature that had no missing value in training has some now; they are
    imputed with the training median or mode.
``out_of_range`` (info)
    numeric values below the training minimum or above its maximum; trees
    predict them as the edge value, linear models extrapolate.
``column_missing`` (warning) / ``column_new`` (info)
    a column profiled in the model's previous run is gone from the feature
    model, or a new one appeared (a renamed column shows as both).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from people_ml.ml import BUILT_IN_FEATURES, level_counts

if TYPE_CHECKING:
    from collections.abc import Iterable

    from people_ml.ml import TrainingReference

__all__ = ["ISSUES", "input_issues"]

#: Every kind of issue and its severity.
ISSUES = {
    "unseen_category": "warning",
    "unexpected_null": "warning",
    "out_of_range": "info",
    "column_missing": "warning",
    "column_new": "info",
}
_EXAMPLES = 5


def _row(
    feature: str,
    issue: str,
    count: int,
    n: int,
    examples: list[object],
    baseline_run_id: str | None,
    message: str,
) -> dict[str, object]:
    return {
        "feature": feature,
        "issue": issue,
        "severity": ISSUES[issue],
        "row_count": count,
        "row_share": count / n if n else None,
        "examples": json.dumps(examples, default=str),
        "baseline_run_id": baseline_run_id,
        "message": message,
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def feature_issues(
    reference: TrainingReference, values: dict[str, np.ndarray]
) -> list[dict[str, object]]:
    """Unseen levels, out-of-range values and new nulls, per feature."""
    rows: list[dict[str, object]] = []
    base = reference.run_id
    for ref in reference.features:
        current = values[ref.name]
        n = len(current)
        if ref.kind == "categorical" and ref.schema_kind == "categorical":
            counts = level_counts(current)
            unseen = counts[~counts.index.isin(ref.seen_levels)]
            if len(unseen):
                shown = [
                    f"{lv} ({int(c)} rows)" for lv, c in unseen.iloc[:_EXAMPLES].items()
                ]
                rows.append(
                    _row(
                        ref.name,
                        "unseen_category",
                        int(unseen.sum()),
                        n,
                        list(unseen.index[:_EXAMPLES]),
                        base,
                        f"{ref.name}: {int(unseen.sum())} of {n} rows hold "
                        f"{len(unseen)} level(s) the model never saw in training "
                        f"(run {base}): {', '.join(shown)}. Their predictions rest "
                        "on no training data. If a value was renamed upstream, map "
                        "it back in staging; if it is new, retrain.",
                    )
                )
        elif ref.kind == "numeric" and ref.minimum is not None:
            present = current[~np.isnan(current)]
            low = present[present < ref.minimum]
            high = present[present > ref.maximum]
            if low.size or high.size:
                examples = sorted({_number(v) for v in np.concatenate([low, high])})
                if len(examples) > _EXAMPLES:
                    examples = examples[:2] + examples[-3:]
                sides = []
                if low.size:
                    sides.append(
                        f"{low.size} below the training minimum {_number(ref.minimum)}"
                    )
                if high.size:
                    sides.append(
                        f"{high.size} above the training maximum {_number(ref.maximum)}"
                    )
                rows.append(
                    _row(
                        ref.name,
                        "out_of_range",
                        int(low.size + high.size),
                        n,
                        examples,
                        base,
                        f"{ref.name}: {' and '.join(sides)} (run {base}), e.g. "
                        f"{examples}; the model never saw such values (trees treat "
                        "them as the edge value, linear models extrapolate).",
                    )
                )
        missing = int(pd.isna(current).sum())
        if missing and ref.null_count == 0:
            rows.append(
                _row(
                    ref.name,
                    "unexpected_null",
                    missing,
                    n,
                    [],
                    base,
                    f"{ref.name}: {missing} of {n} rows have no value, but every "
                    f"training row of run {base} had one; they are imputed. Check "
                    "the upstream model for a broken join or a renamed field.",
                )
            )
    return rows


def column_issues(
    current: Iterable[str],
    baseline: Iterable[str],
    baseline_run_id: str,
    *,
    used: Iterable[str] = (),
) -> list[dict[str, object]]:
    """Columns gone from, or new in, the feature model since ``baseline_run_id``.

    Columns a formulation adds itself (a hazard's ``months_ahead``) are never in
    the feature model, so they are never reported gone or new.
    """
    own = set(BUILT_IN_FEATURES)
    current = [c for c in current if c not in own]
    baseline = [c for c in baseline if c not in own]
    used = set(used)
    rows = []
    for name in sorted(set(baseline) - set(current)):
        role = "a feature of the model" if name in used else "a candidate column"
        rows.append(
            _row(
                name,
                "column_missing",
                0,
                0,
                [],
                baseline_run_id,
                f"{name}: {role} in run {baseline_run_id}, gone from the feature "
                "model now. If it was renamed, restore the old name upstream.",
            )
        )
    for name in sorted(set(current) - set(baseline)):
        rows.append(
            _row(
                name,
                "column_new",
                0,
                0,
                [],
                baseline_run_id,
                f"{name}: a new column since run {baseline_run_id}; a frozen model "
                "ignores it until it is retrained.",
            )
        )
    return rows


def input_issues(
    reference: TrainingReference | None,
    values: dict[str, np.ndarray],
    *,
    columns: Iterable[str],
    baseline_columns: Iterable[str] | None,
    baseline_run_id: str | None,
) -> list[dict[str, object]]:
    """Every input issue of a run's predict set (rows of ``input_issues``)."""
    rows = [] if reference is None else feature_issues(reference, values)
    if baseline_columns is not None and baseline_run_id is not None:
        used = () if reference is None else [f.name for f in reference.features]
        rows += column_issues(columns, baseline_columns, baseline_run_id, used=used)
    return rows
