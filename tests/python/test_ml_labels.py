"""Features in plain words: the spec's `feature_labels`, their defaults and the
way values are written by unit (people_ml.ml._labels)."""

from __future__ import annotations

import pytest

from people_ml.ml import (
    UNITS,
    FeatureText,
    MLModelSpec,
    SpecError,
    default_label,
    format_value,
)
from people_ml.ml._run import label_notes

BASE = {
    "key": "attrition",
    "problem_type": "binary_classification",
    "entity_id": "worker_id",
    "sample_date": "sample_date",
    "target": "left",
}


def test_a_spec_labels_its_features_and_round_trips():
    spec = MLModelSpec.from_config(
        {
            **BASE,
            "feature_labels": {
                "compa_ratio": {
                    "label": "Pay against band midpoint",
                    "description": "Salary over the midpoint.",
                    "unit": "ratio",
                },
                "team_name": "Team",  # a label alone is enough
            },
        }
    )
    assert spec.feature_text("compa_ratio") == FeatureText(
        "Pay against band midpoint", "Salary over the midpoint.", "ratio"
    )
    assert spec.feature_text("team_name") == FeatureText("Team", "", "number")
    # Undeclared: the name with spaces; the hazard's own clock is built in.
    assert spec.feature_text("tenure_months").label == "Tenure months"
    assert spec.feature_text("months_ahead").unit == "months"
    assert MLModelSpec.from_config(spec.to_dict()) == spec
    assert spec.unlabelled(["compa_ratio", "tenure_months", "months_ahead"]) == [
        "tenure_months"
    ]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"pay": {"label": "Pay", "unit": "dollars"}}, "feature_labels.pay.unit"),
        ({"pay": {"unit": "ratio"}}, "feature_labels.pay needs a label"),
        ({"pay": {"label": " "}}, "feature_labels.pay needs a label"),
        ({"pay": {"label": "Pay", "colour": "red"}}, "unknown key(s) ['colour']"),
        ({"pay": 3}, "invalid feature_labels.pay=3"),
        (["pay"], "a mapping of feature"),
    ],
)
def test_bad_labels_are_refused_naming_the_feature_and_the_fix(labels, message):
    with pytest.raises(SpecError) as error:
        MLModelSpec.from_config({**BASE, "feature_labels": labels})
    assert message in str(error.value)


def test_a_run_names_the_features_its_spec_leaves_unlabelled():
    spec = MLModelSpec.from_config({**BASE, "feature_labels": {"pay": "Pay"}})
    (note,) = label_notes(spec, ["pay", "grade", "months_ahead"])
    assert note.code == "features_without_labels"
    assert "(grade)" in note.message and "feature_labels" in note.message
    assert label_notes(spec, ["pay", "months_ahead"]) == []


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.93241, "ratio", "0.93"),
        ("0.93241", "ratio", "0.93"),
        (52312.4, "currency", "52,312"),
        (0.125, "percent", "12%"),
        (0.034, "percent", "3.4%"),
        (14.0, "months", "14 months"),
        (1, "months", "1 month"),
        (2.5, "years", "2.5 years"),
        (3.0, "rating", "3"),
        ("True", "flag", "Yes"),
        (0, "flag", "No"),
        ("Sales", "category", "Sales"),
        (None, "ratio", "missing"),
        (float("nan"), "count", "missing"),
        (1234.5678, "number", "1,235"),
        ("not a number", "ratio", "not a number"),
    ],
)
def test_values_are_written_by_their_unit(value, unit, text):
    assert format_value(value, unit) == text


def test_every_unit_is_documented_and_defaults_read_well():
    assert set(UNITS) >= {"currency", "percent", "months", "rating", "flag"}
    assert default_label("manager_changes_last_6_months") == (
        "Manager changes last 6 months"
    )


def test_the_hazards_own_clock_is_described_where_it_is_named():
    from people_ml.ml import BUILT_IN_FEATURES
    from people_ml.ml._hazard import MONTHS_AHEAD

    assert set(BUILT_IN_FEATURES) == {MONTHS_AHEAD}
