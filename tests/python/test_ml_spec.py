"""MLModelSpec parsing and validation."""

from __future__ import annotations

import pytest
from test_ml_support import SPEC_BASE

from people_ml.ml import MLModelSpec, SpecError


def _config(**overrides):
    return {**SPEC_BASE, "problem_type": "binary_classification", **overrides}


def test_defaults_and_round_trip():
    spec = MLModelSpec.from_config(_config(exclude=["a"], keep_columns=["gender"]))
    assert spec.metric == "roc_auc"
    assert spec.label_horizon_months == 12
    assert spec.cv_folds == 3
    assert spec.exclude == ("a",)
    assert spec.algorithms == ("logistic_regression", "hist_gradient_boosting")
    assert MLModelSpec.from_config(spec.to_dict()) == spec


def test_regression_defaults_and_candidates():
    spec = MLModelSpec.from_config(
        _config(problem_type="regression", candidates=["ridge"], search_iterations=3)
    )
    assert spec.metric == "neg_mean_absolute_error"
    assert spec.algorithms == ("ridge",)


@pytest.mark.parametrize(
    ("overrides", "key", "value"),
    [
        ({"colour": "blue"}, "colour", "blue"),
        ({"key": "Attrition-Model"}, "key", "Attrition-Model"),
        ({"problem_type": "multiclass"}, "problem_type", "multiclass"),
        ({"metric": "accuracy"}, "metric", "accuracy"),
        ({"metric": "r2"}, "metric", "r2"),
        ({"random_state": "42"}, "random_state", "42"),
        ({"label_horizon_months": -1}, "label_horizon_months", "-1"),
        ({"cv_folds": 1}, "cv_folds", "1"),
        ({"candidates": ["ridge"]}, "candidates", "ridge"),
        ({"candidates": ["xgboost"]}, "candidates", "xgboost"),
        ({"search_iterations": 0}, "search_iterations", "0"),
        ({"features": "x0"}, "features", "x0"),
        ({"features": ["x0"], "exclude": ["x1"]}, "features/exclude", "x1"),
        ({"features": ["x0", "target"]}, "features", "target"),
        (
            {"features": ["x0", "gender"], "keep_columns": ["gender"]},
            "features",
            "gender",
        ),
        ({"exclude": ["a", "a"]}, "exclude", "a"),
        ({"target": "worker_id"}, "entity_id/sample_date/target", "worker_id"),
    ],
)
def test_invalid_values_name_key_value_and_allowed(overrides, key, value):
    with pytest.raises(SpecError) as info:
        MLModelSpec.from_config(_config(**overrides))
    message = str(info.value)
    assert key in message
    assert value in message
    assert "allowed" in message


def test_missing_required_key():
    config = _config()
    del config["target"]
    with pytest.raises(SpecError, match="target"):
        MLModelSpec.from_config(config)


def test_direct_construction_validates():
    with pytest.raises(SpecError, match="cv_folds"):
        MLModelSpec(
            key="m",
            problem_type="regression",
            entity_id="e",
            sample_date="d",
            target="t",
            cv_folds=0,
        )


def test_spec_is_frozen():
    spec = MLModelSpec.from_config(_config())
    with pytest.raises(AttributeError):
        spec.metric = "f1"
