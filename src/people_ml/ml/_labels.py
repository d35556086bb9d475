"""Features in plain words: a label, a description and a unit per feature.

Declared once, in an ML model's spec (``feature_labels``), and carried by every
run into ``ml_store.feature_profiles``; the marts' ``feature_label`` column, the
storyboard and ``people-ml show``/``review`` all read them from there. A
feature the spec does not describe gets :func:`default_label` and the unit
``number`` (the run records an ``info`` message naming them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._exceptions import SpecError

__all__ = [
    "BUILT_IN_FEATURES",
    "LABEL_COLUMNS",
    "UNITS",
    "FeatureText",
    "default_label",
    "feature_text",
    "format_value",
    "parse_feature_labels",
]

#: The columns a run records beside each profiled feature (feature_profiles).
LABEL_COLUMNS = ("feature_label", "feature_description", "feature_unit")

#: How a feature's values read, and how :func:`format_value` writes them.
UNITS: dict[str, str] = {
    "number": "a number (up to 4 significant digits)",
    "count": "a whole number (1,234)",
    "currency": "an amount of money, no cents (52,300)",
    "percent": "a share from 0 to 1, written as a percentage (12%)",
    "ratio": "a ratio (0.93)",
    "months": "a duration in months (14 months)",
    "years": "a duration or age in years (34 years)",
    "rating": "a rating on a scale (3)",
    "flag": "yes or no",
    "category": "a category, as written",
    "date": "a date, as written",
}


@dataclass(frozen=True)
class FeatureText:
    """A feature as a reader meets it."""

    label: str
    description: str = ""
    unit: str = "number"

    def to_dict(self) -> dict[str, str]:
        """The spec's mapping for this feature."""
        return {"label": self.label, "description": self.description, "unit": self.unit}


#: Columns a formulation adds itself, described here (never in a spec).
BUILT_IN_FEATURES: dict[str, FeatureText] = {
    "months_ahead": FeatureText(
        "Months ahead",
        "How far into the prediction window a month lies (the hazard model's "
        "clock): risk builds up month by month.",
        "months",
    ),
}


def default_label(feature: str) -> str:
    """``tenure_months`` -> 'Tenure months': the name with spaces, capitalised."""
    words = str(feature).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def feature_text(feature: str, labels: Mapping[str, str]) -> str:
    """'Pay against band midpoint (compa_ratio)': the label, then the column
    (for the command line, read by people who also write the SQL)."""
    label = labels.get(feature)
    return f"{label} ({feature})" if label and label != feature else feature


def parse_feature_labels(value: Any) -> tuple[tuple[str, FeatureText], ...]:
    """Validate the spec's ``feature_labels`` mapping (feature -> text).

    Each value is a label (a string) or a mapping with ``label`` (required),
    ``description`` and ``unit`` (one of :data:`UNITS`).

    Raises
    ------
    SpecError
        Naming the feature, the value and what is allowed.
    """
    if value is None:
        return ()
    if isinstance(value, tuple):  # already parsed (a spec's own field)
        return value
    if not isinstance(value, Mapping):
        raise SpecError(
            f"ml spec: invalid feature_labels={value!r}; allowed: a mapping of "
            "feature -> {label, description, unit}."
        )
    parsed = []
    for feature, text in value.items():
        where = f"feature_labels.{feature}"
        if isinstance(text, str):
            text = {"label": text}
        if not isinstance(text, Mapping):
            raise SpecError(
                f"ml spec: invalid {where}={text!r}; allowed: a label, or a "
                "mapping with label, description and unit."
            )
        unknown = sorted(set(text) - {"label", "description", "unit"})
        if unknown:
            raise SpecError(
                f"ml spec: unknown key(s) {unknown} in {where}; allowed: label, "
                "description, unit."
            )
        label = text.get("label")
        if not isinstance(label, str) or not label.strip():
            raise SpecError(
                f"ml spec: {where} needs a label (a non-empty string), got {label!r}."
            )
        unit = text.get("unit", "number")
        if unit not in UNITS:
            raise SpecError(
                f"ml spec: invalid {where}.unit={unit!r}; allowed: {' | '.join(UNITS)}."
            )
        description = text.get("description", "")
        if not isinstance(description, str):
            raise SpecError(
                f"ml spec: invalid {where}.description={description!r}; allowed: "
                "a string."
            )
        parsed.append(
            (str(feature), FeatureText(label.strip(), description.strip(), unit))
        )
    return tuple(sorted(parsed))


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _amount(number: float, singular: str) -> str:
    text = f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"
    return f"{text} {singular}" if text == "1" else f"{text} {singular}s"


def format_value(value: object, unit: str = "number") -> str:
    """A feature's value as a reader writes it, by its unit.

    ``format_value(0.9324, 'ratio')`` -> '0.93'; ``(52312.0, 'currency')`` ->
    '52,312'; ``(14, 'months')`` -> '14 months'; ``('True', 'flag')`` -> 'Yes';
    a missing value -> 'missing'.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    text = str(value).strip()
    if text.lower() in {"", "nan", "none", "<na>", "nat"}:
        return "missing"
    if unit == "flag":
        truthy = {"true", "1", "1.0", "yes", "y"}
        falsy = {"false", "0", "0.0", "no", "n"}
        lowered = text.lower()
        return "Yes" if lowered in truthy else "No" if lowered in falsy else text
    if unit in {"category", "date"}:
        return text
    number = _number(value)
    if number is None:
        return text
    if unit == "currency":
        return f"{number:,.0f}"
    if unit == "percent":
        return f"{number:.0%}" if abs(number) >= 0.1 else f"{number:.1%}"
    if unit == "ratio":
        return f"{number:.2f}"
    if unit == "months":
        return _amount(number, "month")
    if unit == "years":
        return _amount(number, "year")
    if unit in {"count", "rating"}:
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
    return f"{number:,.4g}" if abs(number) < 1e6 else f"{number:,.0f}"
