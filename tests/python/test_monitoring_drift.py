"""Drift and input checks against a stored training reference (no dbt)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from people_ml.ml import FeatureSchema, TrainingReference
from people_ml.ml._reference import MAX_LEVELS, OTHER_LEVEL, build_reference
from people_ml.monitoring import MonitoringPolicy, MonitoringPolicyError
from people_ml.monitoring.drift import (
    MISSING_BIN,
    UNSEEN_BIN,
    categorical_shift,
    numeric_shift,
    prediction_shift,
    psi,
)
from people_ml.monitoring.integrity import column_issues, input_issues

SCHEMA = (
    FeatureSchema("tenure_months", "numeric", "float64"),
    FeatureSchema("job_level", "numeric", "int64"),
    FeatureSchema("department_name", "categorical", "object"),
    FeatureSchema("is_remote", "boolean", "bool"),
)


def _frame(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tenure_months": rng.gamma(2.0, 20.0, n) + shift,
            "job_level": rng.integers(1, 6, n),
            "department_name": rng.choice(
                ["Sales", "Platform", "Finance"], n, p=[0.5, 0.3, 0.2]
            ),
            "is_remote": rng.random(n) < 0.3,
            "sample_date": pd.Timestamp("2024-06-30"),
        }
    )


def _reference(frame: pd.DataFrame) -> TrainingReference:
    return build_reference(
        "train-run",
        frame,
        SCHEMA,
        frame["sample_date"],
        columns=[*frame.columns.drop("sample_date"), "unused_column"],
    )


def _values(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    from people_ml.ml import monitoring_values

    return monitoring_values(frame, SCHEMA, frame["sample_date"])


def test_psi_is_zero_for_equal_shares_and_matches_the_formula() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    ref, cur = np.array([0.5, 0.3, 0.2]), np.array([0.3, 0.3, 0.4])
    expected = float(np.sum((cur - ref) * np.log(cur / ref)))
    assert psi(ref, cur) == pytest.approx(expected, abs=1e-15)
    # An empty bin counts at the floor (1e-4), never infinity.
    assert np.isfinite(psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]))
    assert psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]) > 1.0


def test_the_same_population_does_not_drift() -> None:
    reference = _reference(_frame(5000, 1))
    values = _values(_frame(2000, 2))
    for feature in reference.features:
        shift = (
            numeric_shift(feature, values[feature.name])
            if feature.kind == "numeric"
            else categorical_shift(feature, values[feature.name])
        )
        assert shift.psi < 0.02, feature.name
        assert MonitoringPolicy().status(shift.psi) == "ok"


def test_a_shifted_numeric_feature_alerts_and_ks_matches_scipy_on_raw_rows() -> None:
    train, current = _frame(5000, 1), _frame(2000, 2, shift=25.0)
    reference = _reference(train)
    shift = numeric_shift(
        reference.feature("tenure_months"), _values(current)["tenure_months"]
    )
    assert shift.psi > 0.25
    assert MonitoringPolicy().status(shift.psi) == "alert"
    raw = stats.ks_2samp(train["tenure_months"], current["tenure_months"])
    # The 1,000-quantile sketch reproduces the training distribution
    # function to within 1/1000.
    assert shift.ks == pytest.approx(raw.statistic, abs=2e-3)
    assert shift.ks_p_value < 1e-6
    assert sum(b.reference_share for b in shift.bins) == pytest.approx(1.0)
    assert sum(b.current_share for b in shift.bins) == pytest.approx(1.0)
    assert sum(b.current_rows for b in shift.bins) == len(current)


def test_integer_levels_get_one_bin_per_value_range_not_empty_bins() -> None:
    reference = _reference(_frame(5000, 1))
    level = reference.feature("job_level")
    # Values 1..5: deciles repeat, so fewer than ten bins and none empty.
    assert len(level.bin_shares) == len(level.cut_points) + 1 <= 5
    assert min(level.bin_shares) > 0


def test_unseen_level_is_its_own_bin_and_js_is_scipys() -> None:
    reference = _reference(_frame(5000, 1))
    current = _frame(2000, 2)
    renamed = current["department_name"] == "Finance"
    current.loc[renamed, "department_name"] = "Finance & Legal"
    shift = categorical_shift(
        reference.feature("department_name"), _values(current)["department_name"]
    )
    unseen = [b for b in shift.bins if b.label == UNSEEN_BIN]
    assert len(unseen) == 1 and unseen[0].current_rows == int(renamed.sum())
    assert unseen[0].reference_share == 0.0
    assert shift.psi > 0.25
    ref = [b.reference_share for b in shift.bins]
    cur = [b.current_share for b in shift.bins]
    assert shift.js_distance == pytest.approx(jensenshannon(ref, cur, base=2))
    assert shift.ks is None


def test_booleans_are_compared_as_levels() -> None:
    reference = _reference(_frame(5000, 1))
    remote = reference.feature("is_remote")
    assert remote.kind == "categorical" and set(remote.levels) == {"true", "false"}


def test_missing_values_are_a_bin_and_an_issue_when_training_had_none() -> None:
    reference = _reference(_frame(5000, 1))
    current = _frame(1000, 2)
    current.loc[:99, "tenure_months"] = np.nan
    values = _values(current)
    shift = numeric_shift(reference.feature("tenure_months"), values["tenure_months"])
    missing = [b for b in shift.bins if b.label == MISSING_BIN]
    assert missing[0].current_rows == 100 and missing[0].reference_share == 0.0
    issues = input_issues(
        reference,
        values,
        columns=list(current.columns),
        baseline_columns=None,
        baseline_run_id=None,
    )
    nulls = [i for i in issues if i["issue"] == "unexpected_null"]
    assert nulls and nulls[0]["row_count"] == 100 and nulls[0]["row_share"] == 0.1


def test_input_issues_count_unseen_levels_with_examples_and_out_of_range() -> None:
    train = _frame(3000, 1)
    reference = _reference(train)
    current = _frame(1000, 2)
    current.loc[:54, "department_name"] = "Ops Renamed"
    current.loc[:2, "tenure_months"] = train["tenure_months"].max() + 10
    issues = {
        i["issue"]: i
        for i in input_issues(
            reference,
            _values(current),
            columns=list(current.columns),
            baseline_columns=None,
            baseline_run_id=None,
        )
    }
    unseen = issues["unseen_category"]
    assert unseen["feature"] == "department_name" and unseen["row_count"] == 55
    assert json.loads(unseen["examples"]) == ["Ops Renamed"]
    assert "Ops Renamed (55 rows)" in unseen["message"]
    assert unseen["baseline_run_id"] == "train-run" and unseen["severity"] == "warning"
    high = issues["out_of_range"]
    assert high["feature"] == "tenure_months" and high["row_count"] == 3


def test_columns_gone_and_new_are_named_with_the_run_compared() -> None:
    rows = column_issues(
        ["tenure_months", "dept"],
        ["tenure_months", "department_name"],
        "run-1",
        used=["department_name"],
    )
    by_issue = {r["issue"]: r for r in rows}
    assert by_issue["column_missing"]["feature"] == "department_name"
    assert (
        "a feature of the model in run run-1" in by_issue["column_missing"]["message"]
    )
    assert by_issue["column_new"]["feature"] == "dept"


def test_prediction_shift_uses_the_previous_runs_deciles() -> None:
    rng = np.random.default_rng(3)
    previous = rng.beta(2, 12, 2000)
    same = prediction_shift(previous, rng.beta(2, 12, 2000))
    moved = prediction_shift(previous, rng.beta(4, 12, 2000))
    assert same.psi < 0.03 < 0.25 < moved.psi
    assert len(same.bins) == 10
    assert [b.reference_share for b in same.bins] == pytest.approx([0.1] * 10)


def test_the_reference_round_trips_through_the_pickle_as_plain_data() -> None:
    reference = _reference(_frame(500, 1))
    data = pickle.loads(pickle.dumps(reference.to_dict()))
    assert TrainingReference.from_dict(data) == reference
    assert "unused_column" in reference.columns
    # Only builtins: the pickle never needs this module's classes for it.
    assert json.loads(json.dumps(data)) == data


def test_many_levels_pool_into_other_and_other_is_not_unseen() -> None:
    n = MAX_LEVELS + 50
    schema = (FeatureSchema("team", "categorical", "object"),)
    train = pd.DataFrame({"team": [f"t{i:04d}" for i in range(n)] * 3})
    reference = build_reference("r", train, schema, None, columns=["team"])
    team = reference.feature("team")
    assert team.levels[-1] == OTHER_LEVEL and len(team.levels) == MAX_LEVELS + 1
    shift = categorical_shift(team, train["team"].to_numpy(dtype=object))
    assert shift.psi == pytest.approx(0.0, abs=1e-12)
    assert all(b.label != UNSEEN_BIN for b in shift.bins)


def test_policy_defaults_and_refusals() -> None:
    policy = MonitoringPolicy.from_config(None)
    assert (policy.psi_warn, policy.psi_alert) == (0.1, 0.25)
    assert policy.status(0.05) == "ok"
    assert policy.status(0.2) == "warn"
    assert policy.status(0.3) == "alert"
    with pytest.raises(MonitoringPolicyError, match="unknown key"):
        MonitoringPolicy.from_config({"psi": 0.1}, model_key="attrition")
    with pytest.raises(MonitoringPolicyError, match="must be the lower"):
        MonitoringPolicy.from_config({"psi_warn": 0.3})
    with pytest.raises(MonitoringPolicyError, match="positive number"):
        MonitoringPolicy.from_config({"psi_alert": "high"})
