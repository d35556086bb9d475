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


def test_a_hazards_own_clock_is_never_a_column_gone() -> None:
    # A trained hazard run profiles months_ahead; the frame never holds it.
    assert (
        column_issues(["tenure_months"], ["tenure_months", "months_ahead"], "r") == []
    )
    assert (
        column_issues(["tenure_months", "months_ahead"], ["tenure_months"], "r") == []
    )


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


def test_policy_reads_expected_drift_and_refuses_what_is_not_a_list_of_names() -> None:
    policy = MonitoringPolicy.from_config(
        {"psi_warn": 0.1, "psi_alert": 0.25, "expected_drift": ["band_midpoint"]},
        model_key="expected_pay",
    )
    assert policy.expected_drift == ("band_midpoint",)
    assert MonitoringPolicy.from_config(None).expected_drift == ()
    # Judged expected wherever it would warn or alert; ok below the warning.
    assert policy.status(0.9, "band_midpoint") == "expected"
    assert policy.status(0.15, "band_midpoint") == "expected"
    assert policy.status(0.05, "band_midpoint") == "ok"
    # Other features, and the predictions, are judged as before.
    assert policy.status(0.9, "tenure_months") == "alert"
    assert policy.status(0.9) == "alert"
    # Recorded with the run as spec keys, and read back the same.
    assert policy.to_dict()["expected_drift"] == ["band_midpoint"]
    assert MonitoringPolicy.from_config(policy.to_dict()) == policy
    for raw, message in (
        ("band_midpoint", "not a list of column names"),
        ([1], "not column names"),
        (["band_midpoint", "band_midpoint"], "more than once"),
    ):
        with pytest.raises(MonitoringPolicyError, match=message) as caught:
            MonitoringPolicy.from_config(
                {"expected_drift": raw}, model_key="expected_pay"
            )
        assert "'expected_pay', monitoring.expected_drift" in str(caught.value)
    # A name that is not a feature of the model is refused, naming both.
    policy.check_features(["band_midpoint", "tenure_months"], model_key="pay")
    typo = MonitoringPolicy(expected_drift=("band_midpint",))
    with pytest.raises(
        MonitoringPolicyError,
        match=r"ML model 'expected_pay', monitoring.expected_drift: "
        r"\['band_midpint'\] is not a feature",
    ):
        typo.check_features(["band_midpoint"], model_key="expected_pay")


def _monitor(policy: MonitoringPolicy, train: pd.DataFrame, current: pd.DataFrame):
    from types import SimpleNamespace

    from people_ml.monitoring import monitor_run

    current = current.assign(worker_id=[f"w{i}" for i in range(len(current))])
    outputs = SimpleNamespace(
        reference=_reference(train),
        predictions=pd.DataFrame(
            {
                "entity_id": current["worker_id"],
                "sample_date": current["sample_date"],
                "prediction": 0.1,
            }
        ),
        feature_profiles=pd.DataFrame({"feature": list(SCHEMA_NAMES)}),
    )
    spec = SimpleNamespace(
        key="expected_pay", entity_id="worker_id", sample_date="sample_date"
    )
    return monitor_run(
        run_id="scored-run",
        spec=spec,
        policy=policy,
        frame=current,
        outputs=outputs,
        session=None,
        previous_run_id=None,
    )


SCHEMA_NAMES = tuple(f.name for f in SCHEMA)


def test_a_declared_feature_drifts_measured_and_flagged_but_never_alerts() -> None:
    train, current = _frame(5000, 1), _frame(2000, 2, shift=25.0)
    current.loc[:2, "tenure_months"] = train["tenure_months"].max() + 10
    declared = MonitoringPolicy(expected_drift=("tenure_months",))
    result = _monitor(declared, train, current)
    drift = result.feature_drift.set_index(["feature", "statistic"])
    tenure = drift.loc[("tenure_months", "psi")]
    # Still measured and stored: PSI past the alert threshold, KS and bins.
    assert tenure["value"] > 0.25
    assert tenure["drift_status"] == "expected"
    assert bool(tenure["is_expected_drift"])
    assert bool(drift.loc[("tenure_months", "ks"), "is_expected_drift"])
    assert (result.drift_bins["feature"] == "tenure_months").sum() > 1
    others = result.feature_drift[result.feature_drift["feature"] != "tenure_months"]
    assert not others["is_expected_drift"].astype(bool).any()
    # No alert note; an info note says the drift was declared expected.
    codes = {(severity, code) for severity, code, _ in result.notes}
    assert ("warning", "feature_drift") not in codes
    assert ("info", "expected_feature_drift") in codes
    # Out-of-range input of the declared feature stays reported, as info.
    issues = result.input_issues.set_index(["feature", "issue"])
    assert issues.loc[("tenure_months", "out_of_range"), "severity"] == "info"

    # The same run without the declaration alerts on it.
    plain = _monitor(MonitoringPolicy(), train, current)
    row = plain.feature_drift.set_index(["feature", "statistic"]).loc[
        ("tenure_months", "psi")
    ]
    assert row["drift_status"] == "alert" and not bool(row["is_expected_drift"])
    assert row["value"] == pytest.approx(tenure["value"])
    assert ("warning", "feature_drift") in {(s, c) for s, c, _ in plain.notes}
