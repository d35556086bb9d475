"""`people-ml monitor`'s report on hand-made mart rows (no dbt)."""

from __future__ import annotations

import pandas as pd

from people_ml.monitoring.report import ModelMonitoring, render_monitoring

RUN = "a" * 32
LATER = "b" * 32


def _runs(shown: str | None = RUN) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [RUN, LATER],
            "run_number": [1, 2],
            "mode": ["trained", "scored"],
            "is_shown": [shown == RUN, shown == LATER],
            "predict_date": pd.to_datetime(["2026-04-30", "2026-05-31"]),
        }
    )


def _drift(psi: float) -> pd.DataFrame:
    status = "alert" if psi > 0.25 else "ok"
    return pd.DataFrame(
        {
            "feature": [
                "department_name",
                "department_name",
                "tenure_months",
                "prediction",
            ],
            "feature_kind": ["categorical", "categorical", "numeric", "prediction"],
            "statistic": ["psi", "js_distance", "psi", "psi"],
            "statistic_value": [psi, 0.4, 0.02, psi / 2],
            "drift_status": [status, None, "ok", status],
            "warn_threshold": [0.1, None, 0.1, 0.1],
            "alert_threshold": [0.25, None, 0.25, 0.25],
            "baseline_run_id": [RUN, RUN, RUN, RUN],
        }
    )


def _model(
    alerts: pd.DataFrame, psi: float, shown: str | None = RUN
) -> ModelMonitoring:
    empty = pd.DataFrame(
        columns=["severity", "feature", "issue", "row_count", "row_share", "examples"]
    )
    realized = pd.DataFrame(
        {
            "run_id": [RUN] * 3,
            "metric_name": [
                "actual_leavers_to_date",
                "expected_leavers_to_date",
                "roc_auc",
            ],
            "metric_value": [11.0, 8.4, 0.71],
            "lower_bound": [2.9, 2.9, 0.55],
            "upper_bound": [13.9, 13.9, 0.87],
            "gate_threshold": [None, None, 0.65],
            "months_since_prediction": [2, 2, 2],
            "label_horizon_months": [12, 12, 12],
            "predict_date": pd.to_datetime(["2026-04-30"] * 3),
            "is_monitored": [True] * 3,
        }
    )
    return ModelMonitoring(
        "attrition", _runs(shown), alerts, _drift(psi), empty, realized
    )


def _alert() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alert_kind": ["feature_drift"],
            "alert_message": ["department_name has PSI 1.2"],
        }
    )


def test_no_alert_reports_each_part_and_says_so() -> None:
    text, alerts = render_monitoring(
        [_model(_alert().iloc[0:0], 0.05)],
        ledger_shown={"attrition": RUN},
        ledger_frozen={},
    )
    assert alerts == 0
    assert text.startswith("attrition: BI shows run #1 aaaaaaaaaaaa (deployed)")
    assert "ok    2 feature(s): PSI at most 0.050" in text
    assert f"predictions against run {RUN[:12]}: PSI 0.025 (ok)" in text
    assert "month 2 of 12: 11 left, expected 8.4 [2.9, 13.9]" in text
    assert "ROC AUC 0.710 [0.550, 0.870], gate 0.65" in text
    assert text.rstrip().endswith("No alerts.")


def test_an_alert_on_a_frozen_model_names_the_unfreeze_command() -> None:
    text, alerts = render_monitoring(
        [_model(_alert(), 1.2)],
        ledger_shown={"attrition": RUN},
        ledger_frozen={"attrition": RUN},
    )
    assert alerts == 1
    assert "ALERT department_name" in text and "JS distance 0.400" in text
    assert "[feature drift] department_name has PSI 1.2" in text
    assert "`people-ml unfreeze attrition`" in text
    # The predictions moved too: reported, but only features raise alerts.
    assert "PSI 0.600 (moved: reported, not an alert of its own" in text
    assert text.rstrip().endswith("1 alert(s) fired: exit 1.")


def test_a_decision_since_the_build_is_pointed_out() -> None:
    text, _ = render_monitoring(
        [_model(_alert().iloc[0:0], 0.05)],
        ledger_shown={"attrition": LATER},
        ledger_frozen={},
    )
    assert f"the decision log now shows run {LATER}" in text
    assert "run `dbt build` to refresh" in text


def test_a_model_never_deployed_has_nothing_to_monitor() -> None:
    text, alerts = render_monitoring(
        [_model(_alert().iloc[0:0], 0.05, shown=None)],
        ledger_shown={},
        ledger_frozen={},
    )
    assert alerts == 0
    assert "attrition: no deployed run, nothing to monitor" in text


def test_drift_declared_expected_is_shown_as_expected_not_as_a_warning() -> None:
    model = _model(_alert().iloc[0:0], 0.05)
    band = pd.DataFrame(
        {
            "feature": ["band_midpoint", "band_midpoint"],
            "feature_kind": ["numeric", "numeric"],
            "statistic": ["psi", "ks"],
            "statistic_value": [0.84, 0.41],
            "drift_status": ["expected", None],
            "warn_threshold": [0.1, None],
            "alert_threshold": [0.25, None],
            "baseline_run_id": [RUN, RUN],
            "is_expected_drift": [True, True],
        }
    )
    model = ModelMonitoring(
        model.model_key,
        model.runs,
        model.alerts,
        pd.concat([model.drift, band], ignore_index=True),
        model.issues,
        model.realized,
    )
    text, alerts = render_monitoring(
        [model], ledger_shown={"attrition": RUN}, ledger_frozen={}
    )
    assert alerts == 0
    line = next(x for x in text.splitlines() if "band_midpoint" in x)
    assert line.split() == [
        "expected",
        "band_midpoint",
        "PSI",
        "0.840",
        ">",
        "0.25,",
        "KS",
        "0.410:",
        "expected",
        "(declared",
        "in",
        "the",
        "spec),",
        "not",
        "a",
        "warning",
    ]
    assert "WARN" not in text and "ALERT" not in text
    assert "ok    2 other feature(s): PSI at most 0.050" in text
    assert text.rstrip().endswith("No alerts.")
