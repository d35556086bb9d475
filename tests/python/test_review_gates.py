"""Review policy and gates: parsing, the interval rule, and refusals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from people_ml.ledger.contract import STORE_TABLES
from people_ml.review.gates import evaluate_gates
from people_ml.review.policy import (
    PolicyError,
    ReviewPolicy,
    check_protected_features,
)


def _policy(**gates: float) -> ReviewPolicy:
    return ReviewPolicy.from_config(
        {"protected": ["gender"], "gates": gates},
        problem_type="binary_classification",
    )


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: pd.Series(dtype=c.pandas_dtype) for c in STORE_TABLES[name].columns}
    )


def _groups(metric: str, split: str, *rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "run_id": "r1",
                "split": split,
                "attribute": "gender",
                "attribute_kind": "protected",
                "group_value": group,
                "metric": metric,
                "value": value,
                "ci_low": low,
                "ci_high": high,
                "n_rows": n,
                "is_suppressed": suppressed,
                "is_reference_group": reference,
            }
            for group, value, low, high, n, suppressed, reference in rows
        ]
    )
    return frame


def _gates(policy: ReviewPolicy, groups: pd.DataFrame, **kw) -> pd.DataFrame:
    return evaluate_gates(
        run_id="r1",
        policy=policy,
        problem_type="binary_classification",
        metrics=kw.get("metrics", _empty("metrics")),
        comparisons=kw.get("comparisons", _empty("run_comparisons")),
        group_metrics=groups,
        test_predictions=kw.get("test_predictions", _empty("test_predictions")),
    ).set_index("gate")


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (0.85, 0.95, "pass"),  # the whole interval above the limit
        (0.70, 0.90, "warn"),  # straddles it
        (0.50, 0.75, "fail"),  # the whole interval below it
    ],
)
def test_a_fairness_gate_judges_the_interval_not_the_point(low, high, status):
    groups = _groups(
        "selection_rate_ratio",
        "predict",
        ("Male", None, None, None, 200, False, True),
        # The point estimate is 0.9 (passes) in every case: only the
        # interval decides.
        ("Female", 0.9, low, high, 150, False, False),
    )
    gate = _gates(_policy(min_selection_rate_ratio=0.8), groups).loc[
        "min_selection_rate_ratio:gender"
    ]
    assert gate["status"] == status
    assert "Female" in gate["message"] and f"{low:.3f}" in gate["message"]


def test_suppressed_groups_never_decide_a_gate():
    groups = _groups(
        "selection_rate_ratio",
        "predict",
        ("Male", None, None, None, 200, False, True),
        ("Nonbinary", None, None, None, None, True, False),
    )
    gate = _gates(_policy(min_selection_rate_ratio=0.8), groups).loc[
        "min_selection_rate_ratio:gender"
    ]
    assert gate["status"] == "not_applicable"


def test_equalized_odds_is_judged_only_on_groups_with_enough_leavers():
    rates = _groups(
        "observed_rate",
        "test",
        ("Male", 0.2, 0.1, 0.3, 200, False, True),
        ("Female", 0.05, 0.0, 0.1, 60, False, False),  # 3 leavers
    )
    eod = _groups(
        "equalized_odds_difference",
        "test",
        ("Female", 0.6, 0.4, 0.8, 60, False, False),
    )
    gates = _gates(_policy(max_equalized_odds_difference=0.2), pd.concat([rates, eod]))
    assert gates.loc["max_equalized_odds_difference:gender", "status"] == (
        "not_applicable"
    )


def test_performance_gates_judge_the_figure():
    metrics = pd.DataFrame(
        {
            "run_id": ["r1"],
            "split": ["test"],
            "metric": ["roc_auc"],
            "class_label": [None],
            "value": [0.61],
        }
    )
    test = pd.DataFrame(
        {
            "run_id": ["r1"] * 20,
            "entity_id": [str(i) for i in range(20)],
            "sample_date": pd.to_datetime(["2026-01-31"] * 20),
            "actual": [1.0] * 4 + [0.0] * 16,
            "prediction": [0.5] * 20,
            "predicted_class": [1] * 20,
        }
    )
    gates = _gates(
        _policy(min_test_roc_auc=0.65, min_test_minority_rows=10),
        _empty("group_metrics"),
        metrics=metrics,
        test_predictions=test,
    )
    assert gates.loc["min_test_roc_auc", "status"] == "fail"
    assert math.isclose(gates.loc["min_test_roc_auc", "value"], 0.61)
    assert gates.loc["min_test_minority_rows", "status"] == "fail"
    assert gates.loc["min_test_minority_rows", "value"] == 4


def test_the_drop_against_the_shown_run_is_on_the_same_rows():
    comparisons = pd.DataFrame(
        {
            "run_id": ["r1"],
            "compared_run_id": ["r0"],
            "split": ["test"],
            "metric": ["roc_auc"],
            "candidate_value": [0.70],
            "compared_value": [0.75],
        }
    )
    policy = _policy(max_metric_drop_vs_shown=0.03)
    gates = _gates(policy, _empty("group_metrics"), comparisons=comparisons)
    assert gates.loc["max_metric_drop_vs_shown", "status"] == "fail"
    no_shown = _gates(policy, _empty("group_metrics"))
    assert no_shown.loc["max_metric_drop_vs_shown", "status"] == "not_applicable"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"gates": {"min_auc": 0.7}}, "no such gate"),
        ({"gates": {"min_test_r2": 0.5}}, "not a gate for binary_classification"),
        ({"gates": {"min_test_roc_auc": "high"}}, "expected a number"),
        ({"protected": "gender"}, "a list of column names"),
        ({"protected": ["gender"], "slices": ["gender"]}, "both protected and slices"),
        ({"allow_protected_features": {"gender": ""}}, "give the reason"),
        ({"allow_protected_features": {"age": "x"}}, "not in review.protected"),
        ({"min_group_size": 0}, "integer >= 1"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_a_bad_policy_names_the_key(config, message):
    with pytest.raises(PolicyError, match=message):
        ReviewPolicy.from_config(config, problem_type="binary_classification")


def test_a_protected_attribute_as_a_feature_is_refused_unless_allowed():
    policy = ReviewPolicy.from_config(
        {"protected": ["gender", "age_band"]}, problem_type="binary_classification"
    )
    with pytest.raises(PolicyError, match=r"\['gender'\] would be features"):
        check_protected_features(policy, ["tenure", "gender"], model_key="attrition")
    allowed = ReviewPolicy.from_config(
        {
            "protected": ["gender"],
            "allow_protected_features": {"gender": "legal advice: pay equity study"},
        },
        problem_type="binary_classification",
    )
    [note] = check_protected_features(allowed, ["gender"], model_key="attrition")
    assert "legal advice: pay equity study" in note


def test_the_four_fifths_rule_reads_both_ways():
    # Female flagged 1.5 times as often as the largest group: 1/1.5 = 0.667.
    groups = _groups(
        "selection_rate_ratio",
        "predict",
        ("Male", None, None, None, 200, False, True),
        ("Female", 1.5, 1.3, 1.7, 150, False, False),
    )
    gate = _gates(_policy(min_selection_rate_ratio=0.8), groups).loc[
        "min_selection_rate_ratio:gender"
    ]
    assert gate["status"] == "fail"
    assert math.isclose(gate["value"], 1 / 1.5)
    assert math.isclose(gate["ci_low"], 1 / 1.7) and math.isclose(
        gate["ci_high"], 1 / 1.3
    )
    assert "1.50 times as often" in gate["message"]


def test_a_largest_group_flagging_nobody_fails_the_four_fifths_gate():
    import numpy as np

    from people_ml.review.fairness import group_metrics

    rows = pd.DataFrame(
        {
            "gender": ["M"] * 200 + ["F"] * 40,
            "prediction": [0.1] * 200 + [0.6] * 40,
            "predicted_class": [0] * 200 + [1, 0] * 20,
            "is_high_band": [False] * 240,
        }
    )
    groups = group_metrics(
        rows,
        run_id="r1",
        split="predict",
        attributes={"gender": "protected"},
        problem_type="binary_classification",
        actual=None,
        n_boot=20,
    )
    female = groups[
        (groups["group_value"] == "F") & (groups["metric"] == "selection_rate_ratio")
    ]
    assert np.isinf(female["value"].iloc[0])
    gate = _gates(_policy(min_selection_rate_ratio=0.8), groups).loc[
        "min_selection_rate_ratio:gender"
    ]
    assert gate["status"] == "fail" and gate["value"] == 0


def test_no_test_period_fails_the_test_gates():
    gates = _gates(
        _policy(min_test_roc_auc=0.65, min_test_minority_rows=10),
        _empty("group_metrics"),
    )
    assert gates.loc["min_test_roc_auc", "status"] == "fail"
    assert gates.loc["min_test_minority_rows", "status"] == "fail"


def test_a_failed_comparison_fails_the_drop_gate():
    gates = evaluate_gates(
        run_id="r1",
        policy=_policy(max_metric_drop_vs_shown=0.03),
        problem_type="binary_classification",
        metrics=_empty("metrics"),
        comparisons=_empty("run_comparisons"),
        group_metrics=_empty("group_metrics"),
        test_predictions=_empty("test_predictions"),
        comparison_error="run r0: its pickle is missing",
    ).set_index("gate")
    assert gates.loc["max_metric_drop_vs_shown", "status"] == "fail"
    assert "pickle is missing" in gates.loc["max_metric_drop_vs_shown", "message"]


def test_every_store_table_is_written_by_the_ml_library_the_review_or_monitoring():
    from people_ml.ml._outputs import ML_STORE_TABLES
    from people_ml.monitoring import MONITORING_TABLES
    from people_ml.review.run import REVIEW_TABLES

    written = [*ML_STORE_TABLES, *REVIEW_TABLES, *MONITORING_TABLES]
    assert sorted(written) == sorted(STORE_TABLES)
