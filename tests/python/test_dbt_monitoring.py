"""Monitoring end to end on real dbt: a year after deployment, and a known shock.

One scenario, built once for the module: a small extract is built, both
models' runs are deployed and persisted (so every later build scores with the
frozen pickles and its runs are deployed by the system), then the company is
advanced with a `dbt build` and `people-ml monitor` after each: six months at
a time, to twelve (each build's marts report every month since the
deployment, so the months between builds are checked too). At month six a
copy of the project takes a known shock (a renamed department and a pay cut in
one division) a month later instead.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from conftest import Project, copy_project

pytestmark = pytest.mark.dbt

MONTHS = 12
# Months the company advances between builds: each build's realized
# performance covers every month since the deployment, so a build every
# month would check the same rows again (and each build costs the suite
# about 30 s).
STEP = 6
SHOCK_AFTER = 6
RENAMED = ("Platform", "Core Platform")
PAY_CUT = ("Engineering", 35)
# A company whose attrition the first model predicts well (checked over the
# twelve months: actual within the band at every month).
EXTRACT = {"employees": 600, "months": 36, "seed": 42}
# The pay model's spec declares these expected to drift (pay bands rise every
# year and the model follows them): measured, never a warning or an alert.
EXPECTED_DRIFT = {"band_midpoint", "band_midpoint_at_pay_change"}


@dataclass
class Month:
    """What one monthly build and monitor printed."""

    month: int
    monitor_code: int
    monitor_output: str
    realized: list[tuple]
    alerts: list[tuple]


@dataclass
class Scenario:
    project: Project
    deployed_runs: dict[str, str]
    months: list[Month] = field(default_factory=list)
    shocked: Project | None = None
    shocked_monitor: tuple[int, str] | None = None


def _monitor(project: Project, *args: str) -> tuple[int, str]:
    completed = project.people_ml("monitor", *args)
    return completed.returncode, completed.stdout + completed.stderr


def _build(project: Project) -> None:
    result = project.dbt("build")
    assert result.ok, result.output[-5000:]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("monitoring")
    project = copy_project(root / "people_ml")
    project.generate(**EXTRACT)
    _build(project)
    deployed = dict(
        project.query(
            "select model_key, run_id from marts.dim_ml_runs order by model_key"
        )
    )
    for run_id in deployed.values():
        completed = project.people_ml(
            "deploy",
            run_id,
            "--persist",
            "--override-gates",
            "--reason",
            "monitoring scenario",
            "--by",
            "pytest",
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
    scenario = Scenario(project, deployed)
    for month in range(STEP, MONTHS + 1, STEP):
        if month - STEP == SHOCK_AFTER:
            shocked = Project(root / "shocked")
            shutil.copytree(project.root, shocked.root, symlinks=True)
            scenario.shocked = shocked
        advanced = project.people_ml("advance", "--months", str(STEP))
        assert advanced.returncode == 0, advanced.stderr
        _build(project)
        code, output = _monitor(project)
        realized = project.query(
            "select months_since_prediction, metric_name, metric_value, "
            "lower_bound, upper_bound from marts.fct_ml_realized_performance "
            f"where run_id = '{deployed['attrition']}' and decile is null "
            "order by months_since_prediction, metric_name"
        )
        alerts = project.query(
            "select alert_kind, model_key, subject from marts.fct_ml_monitoring_alerts"
        )
        scenario.months.append(Month(month, code, output, realized, alerts))
    assert scenario.shocked is not None
    shocked = scenario.shocked
    advanced = shocked.people_ml(
        "advance",
        "--months",
        "1",
        "--shock",
        f"rename-department:{RENAMED[0]}={RENAMED[1]}",
        "--shock",
        f"pay-cut:{PAY_CUT[0]}:{PAY_CUT[1]}",
    )
    assert advanced.returncode == 0, advanced.stdout + advanced.stderr
    _build(shocked)
    scenario.shocked_monitor = _monitor(shocked)
    yield scenario


def _latest_features(project: Project) -> dict[str, list[str]]:
    """Each model's features, from its latest run's record."""
    rows = project.query(
        "select model_key, features from intermediate.int_ml_runs_unioned "
        "qualify row_number() over (partition by model_key "
        "order by run_number desc) = 1"
    )
    return {model_key: json.loads(features) for model_key, features in rows}


def _expected_drift(project: Project, where: str) -> list[tuple]:
    """PSI rows of the pay model's declared features: (run, feature, status)."""
    return project.query(
        "select run_number, feature, drift_status, is_expected_drift, "
        "statistic_value from marts.fct_ml_feature_drift "
        "where model_key = 'expected_pay' and statistic = 'psi' "
        f"and feature in ('band_midpoint', 'band_midpoint_at_pay_change') and {where} "
        "order by run_number, feature"
    )


def _metric(rows: list[tuple], month: int, name: str) -> tuple:
    match = [r for r in rows if r[0] == month and r[1] == name]
    assert len(match) == 1, (month, name, rows)
    return match[0]


def test_realized_performance_is_reported_at_every_month(scenario: Scenario) -> None:
    for month in scenario.months:
        months = sorted({r[0] for r in month.realized})
        assert months == list(range(month.month + 1)), month.month
        latest = month.month
        for name in ("actual_leavers_to_date", "expected_leavers_to_date", "roc_auc"):
            _metric(month.realized, latest, name)
        # The monitor prints the deployed run's latest month.
        assert f"month {latest} of 12" in month.monitor_output


def test_after_twelve_months_expected_and_actual_leavers_agree(
    scenario: Scenario,
) -> None:
    final = scenario.months[-1]
    _, _, actual, low, high = _metric(final.realized, 12, "actual_leavers_to_date")
    _, _, expected, _, _ = _metric(final.realized, 12, "expected_leavers_to_date")
    # The stated interval: expected +- 1.96 sqrt(sum p (1 - p)).
    assert low <= actual <= high, (actual, expected, low, high)
    assert low < expected < high
    # Calibration by decile appears once the horizon has passed.
    deciles = scenario.project.query(
        "select count(distinct decile) from marts.fct_ml_realized_performance "
        f"where run_id = '{scenario.deployed_runs['attrition']}' "
        "and metric_name = 'calibration_observed_rate'"
    )
    assert deciles == [(10,)]


def test_six_months_without_a_shock_raise_no_alert(scenario: Scenario) -> None:
    calm = [month for month in scenario.months if month.month <= SHOCK_AFTER]
    assert [month.month for month in calm] == [6]
    for month in calm:
        assert month.alerts == [], (month.month, month.alerts)
        assert month.monitor_code == 0, month.monitor_output
        assert "No alerts." in month.monitor_output
    # The band midpoints did drift (the bands rose), and the runs measured it:
    # flagged as declared, judged expected or ok, never warn or alert.
    declared = EXPECTED_DRIFT & set(_latest_features(scenario.project)["expected_pay"])
    assert declared, "the pay model uses a band midpoint"
    rows = _expected_drift(scenario.project, "true")
    assert {row[1] for row in rows} == declared
    assert all(is_expected for _, _, _, is_expected, _ in rows), rows
    assert {status for _, _, status, _, _ in rows} <= {"expected", "ok"}, rows
    assert any(status == "expected" for _, _, status, _, _ in rows), rows
    shown = [
        feature
        for feature in declared
        for month in calm
        if f"expected {feature} " in month.monitor_output
    ]
    assert shown, calm[-1].monitor_output


def test_a_shock_alerts_on_exactly_the_shocked_features(scenario: Scenario) -> None:
    assert scenario.shocked is not None and scenario.shocked_monitor is not None
    drift = scenario.shocked.query(
        "select model_key, subject from marts.fct_ml_monitoring_alerts "
        "where alert_kind = 'feature_drift' order by model_key, subject"
    )
    # The pay cut moves compa_ratio (an attrition feature only); the renamed
    # department moves department_name in every model that uses it (feature
    # pruning may drop it from the pay model in this small company); nothing
    # else alerts: the band midpoints' drift is declared expected.
    features = _latest_features(scenario.shocked)
    assert "department_name" in features["attrition"]
    assert "compa_ratio" not in features["expected_pay"]
    renamed = [
        (model_key, "department_name")
        for model_key in sorted(features)
        if "department_name" in features[model_key]
    ]
    assert drift == sorted([("attrition", "compa_ratio"), *renamed])
    # The band midpoints moved well past the alert threshold, and are shown
    # as expected drift, not alerted.
    declared = EXPECTED_DRIFT & set(features["expected_pay"])
    assert declared, features["expected_pay"]
    bands = _expected_drift(scenario.shocked, "is_latest_run")
    assert [(f, status, flag) for _, f, status, flag, _ in bands] == [
        (feature, "expected", True) for feature in sorted(declared)
    ]
    assert all(psi > 0.25 for *_, psi in bands), bands
    code, output = scenario.shocked_monitor
    assert code == 1, output
    assert "ALERT department_name" in output and "ALERT compa_ratio" in output
    for feature in declared:
        assert f"ALERT {feature}" not in output
        assert f"expected {feature} " in output, output
    assert "expected (declared in the spec)" in output
    # The shown models are frozen: the monitor names the way out of each
    # alerting one.
    assert "people-ml unfreeze attrition" in output
    pay_alerts = any(model_key == "expected_pay" for model_key, _ in drift)
    assert ("people-ml unfreeze expected_pay" in output) == pay_alerts


def test_a_renamed_department_is_reported_as_unseen_input_with_its_count(
    scenario: Scenario,
) -> None:
    shocked = scenario.shocked
    assert shocked is not None
    [(renamed_rows,)] = shocked.query(
        "select count(*) from intermediate.int_attrition_person_months_labelled "
        f"where sample_period = 'current' and department_name = '{RENAMED[1]}'"
    )
    assert renamed_rows > 0
    issues = shocked.query(
        "select model_key, row_count, examples from marts.fct_ml_input_issues "
        "where is_latest_run and issue = 'unseen_category' "
        "and feature = 'department_name' order by model_key"
    )
    # Reported for exactly the models whose latest run uses department_name
    # as a feature (pruning may drop it from the pay model in this company);
    # a model without it has no such input and reports none.
    features = _latest_features(shocked)
    users = sorted(key for key, names in features.items() if "department_name" in names)
    assert "attrition" in users
    assert [row[0] for row in issues] == users
    for model_key, row_count, examples in issues:
        assert row_count > 0 and RENAMED[1] in examples, model_key
    assert issues[0][1] == renamed_rows
    assert scenario.shocked_monitor is not None
    _, output = scenario.shocked_monitor
    assert f"{renamed_rows} rows" in output and RENAMED[1] in output


def test_monitor_exit_codes(scenario: Scenario, tmp_path: Path) -> None:
    project = scenario.project
    code, output = _monitor(project, "attrition")
    assert code == 0, output
    assert output.startswith("attrition:") and "expected_pay:" not in output
    code, output = _monitor(project, "no_such_model")
    assert code == 2 and "no runs of ML model 'no_such_model'" in output
    shocked = scenario.shocked
    assert shocked is not None
    assert _monitor(shocked, "attrition")[0] == 1
    # A warehouse without the monitoring marts cannot be judged: 3.
    stale = Project(tmp_path / "stale")
    shutil.copytree(project.root, stale.root, symlinks=True)
    with duckdb.connect(str(stale.warehouse)) as con:
        con.execute("drop table marts.fct_ml_monitoring_alerts")
    code, output = _monitor(stale)
    assert code == 3 and "fct_ml_monitoring_alerts" in output and "dbt build" in output
    # No warehouse at all: a usage error, as for every command.
    stale.warehouse.unlink()
    code, output = _monitor(stale)
    assert code == 2 and "dbt build" in output
