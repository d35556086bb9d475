"""Realized performance on real dbt: what the deployed runs got right, and alerts.

One scenario for the module: the session's ``deployed_project`` (both runs
deployed) cloned, its extract advanced three months and rebuilt (the build
trains new pending runs; the deployed runs stay shown). Every figure of
``marts.fct_ml_realized_performance`` is recomputed here from the warehouse's
staging and intermediate tables with pandas and scikit-learn. The alerts (the
``monitoring_alert`` tests on ``fct_ml_monitoring_alerts``) pass on the
scenario, and fail on a copy whose mart is edited into an alert, as a warning
by default and as an error with ``monitoring_alert_severity: error``.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import Project, clone_project
from sklearn.metrics import average_precision_score, roc_auc_score

pytestmark = pytest.mark.dbt

ADVANCE_MONTHS = 3
HORIZON = 12
TOL = 1e-9
AUC_ALERT = "assert_realized_roc_auc_meets_review_gate"
BAND_ALERT = "assert_actual_leavers_within_expected_band"
MF = Path(sys.executable).parent / "mf"


@dataclass(frozen=True)
class Scenario:
    project: Project
    attrition_run: str
    pay_run: str
    build_results: dict[str, dict]


def _frame(project: Project, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        return con.execute(sql).df()


def _results(project: Project) -> dict[str, dict]:
    """The latest dbt command's results, by node name."""
    payload = json.loads((project.root / "target" / "run_results.json").read_text())
    return {row["unique_id"].split(".")[2]: row for row in payload["results"]}


@pytest.fixture(scope="module")
def scenario(
    deployed_project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Scenario:
    project = clone_project(
        deployed_project, tmp_path_factory.mktemp("realized") / "people_ml"
    )
    advanced = project.people_ml("advance", "--months", str(ADVANCE_MONTHS))
    assert advanced.returncode == 0, advanced.stdout + advanced.stderr
    built = project.dbt("build")
    assert built.ok, built.output[-5000:]
    runs = dict(
        project.query(
            "select model_key, run_id from marts.dim_ml_runs where is_deployed"
        )
    )
    assert set(runs) == {"attrition", "expected_pay"}
    shown = project.query("select run_id from marts.dim_ml_runs where is_shown")
    assert {run_id for (run_id,) in shown} == set(runs.values())
    return Scenario(project, runs["attrition"], runs["expected_pay"], _results(project))


@pytest.fixture(scope="module")
def realized(scenario: Scenario) -> pd.DataFrame:
    return _frame(scenario.project, "select * from marts.fct_ml_realized_performance")


@pytest.fixture(scope="module")
def outcomes(scenario: Scenario) -> dict[int, pd.DataFrame]:
    """Per month m: the attrition run's predictions and their outcome to date.

    Recomputed from the predictions and the employment spells: the spell
    held at the sample date, a voluntary exit after it and on or before the
    month-end m months later (the target's rule cut at m).
    """
    project = scenario.project
    predictions = _frame(
        project,
        "select entity_id, prediction, sample_date "
        "from staging.stg_ml_store__predictions "
        f"where run_id = '{scenario.attrition_run}'",
    )
    spells = _frame(
        project,
        "select worker_id, spell_start_date, spell_end_date, is_voluntary_exit "
        "from intermediate.int_employment_spells",
    )
    merged = predictions.merge(
        spells, left_on="entity_id", right_on="worker_id", how="left"
    )
    sample = pd.to_datetime(merged["sample_date"])
    start = pd.to_datetime(merged["spell_start_date"])
    end = pd.to_datetime(merged["spell_end_date"])
    held = (start <= sample) & (end.isna() | (end > sample))
    merged = merged[held.to_numpy()]
    assert len(merged) == len(predictions)  # one spell per predicted worker
    (predict_date,) = set(pd.to_datetime(predictions["sample_date"]))
    ranks = merged["prediction"].rank(method="min")
    merged = merged.assign(
        is_high=((ranks - 1) / (len(merged) - 1)).to_numpy()
        >= 0.90  # var risk_band_high_percentile
    )
    curves = _frame(
        project,
        "select entity_id, horizon_months, prediction "
        "from staging.stg_ml_store__horizon_predictions "
        f"where run_id = '{scenario.attrition_run}'",
    ).pivot(index="entity_id", columns="horizon_months", values="prediction")
    by_month = {}
    for month in range(ADVANCE_MONTHS + 1):
        merged = merged.assign(
            q=_curve(curves, month).reindex(merged["entity_id"]).to_numpy()
            if len(curves)
            else 1 - (1 - merged["prediction"]) ** (month / HORIZON)
        )
        window_end = predict_date + pd.offsets.MonthEnd(month)
        end = pd.to_datetime(merged["spell_end_date"])
        left = (
            merged["is_voluntary_exit"].astype(bool)
            & (end > predict_date)
            & (end <= window_end)
        )
        by_month[month] = merged.assign(y=left.astype(int).to_numpy())
    return by_month


def _curve(points: pd.DataFrame, month: int) -> pd.Series:
    """P(left by ``month``) per person from a hazard run's horizon predictions.

    Between two predicted horizons (and from 0, where nobody has left) the
    survival falls at a constant monthly rate.
    """
    horizons = [0, *points.columns]
    survival = pd.concat(
        [pd.Series(1.0, index=points.index, name=0), 1 - points], axis=1
    )
    if month == 0:
        return survival[0] * 0
    b = next(h for h in horizons if h >= month)
    a = horizons[horizons.index(b) - 1]
    s_m = survival[a] * (survival[b] / survival[a]) ** ((month - a) / (b - a))
    return 1 - s_m


def _metric(realized: pd.DataFrame, run_id: str, metric: str) -> pd.DataFrame:
    rows = realized[
        (realized["run_id"] == run_id) & (realized["metric_name"] == metric)
    ]
    return rows.set_index("months_since_prediction").sort_index()


def test_attrition_counts_and_band_equal_a_pandas_recount(
    scenario: Scenario, realized: pd.DataFrame, outcomes: dict[int, pd.DataFrame]
) -> None:
    run = scenario.attrition_run
    rows = realized[realized["run_id"] == run]
    assert sorted(rows["months_since_prediction"].unique()) == [0, 1, 2, 3]
    assert set(rows["months_elapsed"]) == {ADVANCE_MONTHS}
    assert rows["is_monitored"].all() and rows["is_shown_run"].all()
    assert not rows["is_horizon_complete"].any()
    # Calibration waits for the horizon (12 months) to pass.
    assert not rows["metric_name"].str.startswith("calibration").any()
    latest = rows[rows["is_latest_month"]]
    assert set(latest["months_since_prediction"]) == {ADVANCE_MONTHS}

    actual = _metric(realized, run, "actual_leavers_to_date")
    expected = _metric(realized, run, "expected_leavers_to_date")
    for month, frame in outcomes.items():
        q = frame["q"]
        sd = float(np.sqrt((q * (1 - q)).sum()))
        assert actual.loc[month, "metric_value"] == frame["y"].sum(), month
        assert actual.loc[month, "positive_count"] == frame["y"].sum()
        assert actual.loc[month, "row_count"] == len(frame)
        assert expected.loc[month, "metric_value"] == pytest.approx(q.sum(), rel=TOL)
        for table in (actual, expected):
            assert table.loc[month, "standard_error"] == pytest.approx(sd, abs=TOL)
            assert table.loc[month, "lower_bound"] == pytest.approx(
                max(q.sum() - 1.96 * sd, 0), abs=TOL
            )
            assert table.loc[month, "upper_bound"] == pytest.approx(
                q.sum() + 1.96 * sd, abs=TOL
            )
        observed = expected.loc[month, "observed_through_date"]
        assert pd.Timestamp(observed) == (
            pd.Timestamp(expected.loc[0, "predict_date"]) + pd.offsets.MonthEnd(month)
        )
    # Month 0: the counts, so a run deployed today shows up; nothing known yet.
    assert actual.loc[0, "metric_value"] == expected.loc[0, "metric_value"] == 0
    assert outcomes[ADVANCE_MONTHS]["y"].sum() > 0  # the scenario has leavers


def test_attrition_ranking_metrics_equal_sklearn(
    scenario: Scenario, realized: pd.DataFrame, outcomes: dict[int, pd.DataFrame]
) -> None:
    run = scenario.attrition_run
    auc = _metric(realized, run, "roc_auc")
    pr_auc = _metric(realized, run, "pr_auc")
    precision = _metric(realized, run, "high_band_precision")
    recall = _metric(realized, run, "high_band_recall")
    with_leavers = [month for month, frame in outcomes.items() if frame["y"].any()]
    assert list(auc.index) == with_leavers and ADVANCE_MONTHS in with_leavers
    assert list(pr_auc.index) == list(precision.index) == list(recall.index)
    assert list(pr_auc.index) == with_leavers
    for month in with_leavers:
        frame = outcomes[month]
        y, p = frame["y"].to_numpy(), frame["prediction"].to_numpy()
        area = roc_auc_score(y, p)
        assert auc.loc[month, "metric_value"] == pytest.approx(area, abs=TOL)
        assert pr_auc.loc[month, "metric_value"] == pytest.approx(
            average_precision_score(y, p), abs=TOL
        )
        # Hanley & McNeil (1982).
        n1, n0 = y.sum(), len(y) - y.sum()
        q1, q2 = area / (2 - area), 2 * area**2 / (1 + area)
        se = np.sqrt(
            (area * (1 - area) + (n1 - 1) * (q1 - area**2) + (n0 - 1) * (q2 - area**2))
            / (n1 * n0)
        )
        assert auc.loc[month, "standard_error"] == pytest.approx(se, abs=TOL)
        assert auc.loc[month, "upper_bound"] == pytest.approx(
            min(area + 1.96 * se, 1), abs=TOL
        )
        assert auc.loc[month, "gate_threshold"] == pytest.approx(0.65)
        high = frame["is_high"].to_numpy()
        assert precision.loc[month, "metric_value"] == pytest.approx(
            y[high].sum() / high.sum(), abs=TOL
        )
        assert recall.loc[month, "metric_value"] == pytest.approx(
            y[high].sum() / y.sum(), abs=TOL
        )


def test_pay_error_equals_a_pandas_one(
    scenario: Scenario, realized: pd.DataFrame
) -> None:
    frame = _frame(
        scenario.project,
        "select predictions.prediction, samples.actual_base_salary "
        "from staging.stg_ml_store__predictions as predictions "
        "inner join intermediate.int_pay_samples_labelled as samples "
        "on predictions.entity_id = samples.worker_id "
        "and predictions.sample_date = samples.sample_date "
        f"where predictions.run_id = '{scenario.pay_run}'",
    )
    error = frame["actual_base_salary"] - frame["prediction"]
    rows = realized[realized["run_id"] == scenario.pay_run]
    # Horizon 0: realized at the predict date only, and no longer watched.
    assert set(rows["months_since_prediction"]) == {0}
    assert rows["is_horizon_complete"].all() and not rows["is_monitored"].any()
    values = rows.set_index("metric_name")
    assert set(values.index) == {"mae", "bias", "mape"}
    assert values.loc["mae", "row_count"] == len(frame) > 0
    assert values.loc["mae", "metric_value"] == pytest.approx(
        error.abs().mean(), rel=TOL
    )
    assert values.loc["bias", "metric_value"] == pytest.approx(error.mean(), rel=TOL)
    assert values.loc["mape", "metric_value"] == pytest.approx(
        (error.abs() / frame["actual_base_salary"].abs()).mean(), rel=TOL
    )


def test_mf_answers_the_leaver_metrics(
    scenario: Scenario, realized: pd.DataFrame
) -> None:
    pytest.importorskip("dbt_metricflow", reason="dbt-metricflow (the dev extra)")
    project = scenario.project
    out = project.root / "mf_realized.csv"
    # mf opens the DuckDB file read-write: nothing else may hold it meanwhile.
    completed = subprocess.run(
        [
            str(MF),
            "query",
            "--metrics",
            "expected_leavers_to_date,actual_leavers_to_date",
            "--group-by",
            "realized_performance__months_since_prediction",
            "--csv",
            str(out),
            "--quiet",
        ],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    with out.open(newline="") as handle:
        answered = {
            int(row["realized_performance__months_since_prediction"]): row
            for row in csv.DictReader(handle)
        }
    # One deployed attrition run: each month's answer is that run's row.
    assert sorted(answered) == [0, 1, 2, 3]
    run = scenario.attrition_run
    for metric in ("expected_leavers_to_date", "actual_leavers_to_date"):
        mart = _metric(realized, run, metric)["metric_value"]
        for month, row in answered.items():
            assert float(row[metric]) == pytest.approx(mart.loc[month], rel=1e-6)


def test_alerts_pass_on_the_scenario(scenario: Scenario) -> None:
    for alert in (AUC_ALERT, BAND_ALERT):
        result = scenario.build_results[alert]
        assert result["status"] in {"pass", "warn"}, result


def _alert(project: Project, *args: str) -> tuple[int, dict[str, dict]]:
    # The alerts are decided in fct_ml_monitoring_alerts: rebuild it from the
    # edited mart, with its tests (the alerts among them).
    completed = project.dbt(
        "build", "--select", "fct_ml_monitoring_alerts", "--store-failures", *args
    )
    return completed.returncode, _results(project)


def _alert_rows(project: Project, alert: str) -> list[tuple]:
    (schema,) = {
        row[0]
        for row in project.query(
            "select table_schema from information_schema.tables "
            f"where table_name = '{alert}'"
        )
    }
    return project.query(
        f"select run_id, months_since_prediction, alert_message from {schema}.{alert}"
    )


def test_alerts_fire_as_warnings_or_errors_as_configured(
    scenario: Scenario, tmp_path: Path
) -> None:
    project = clone_project(scenario.project, tmp_path / "people_ml")
    shutil.rmtree(project.root / "target")
    run, latest = scenario.attrition_run, ADVANCE_MONTHS
    (upper,) = project.query(
        "select upper_bound from marts.fct_ml_realized_performance "
        f"where run_id = '{run}' and metric_name = 'actual_leavers_to_date' "
        f"and months_since_prediction = {latest}"
    )[0]
    with duckdb.connect(str(project.warehouse)) as con:
        where = f"where run_id = '{run}' and metric_name = "
        # The latest month: an AUC surely below the gate, more leavers than
        # the band allows. An earlier month's AUC is track record, never judged.
        con.execute(
            "update marts.fct_ml_realized_performance set metric_value = 0.52, "
            "lower_bound = 0.44, upper_bound = 0.6, positive_count = 50 "
            f"{where}'roc_auc' and months_since_prediction in ({latest}, {latest - 1})"
        )
        con.execute(
            "update marts.fct_ml_realized_performance set metric_value = "
            f"{int(upper) + 5}, positive_count = {int(upper) + 5} "
            f"{where}'actual_leavers_to_date' and months_since_prediction = {latest}"
        )

    code, results = _alert(project)
    assert code == 0  # warn: reported, the build goes on
    for alert in (AUC_ALERT, BAND_ALERT):
        assert (results[alert]["status"], results[alert]["failures"]) == ("warn", 1)
    [(alerted_run, month, message)] = _alert_rows(project, AUC_ALERT)
    assert (alerted_run, month) == (run, latest)
    assert run in message and "attrition" in message and f"month {latest}" in message
    assert "0.52" in message and "min_test_roc_auc 0.65" in message
    [(alerted_run, month, message)] = _alert_rows(project, BAND_ALERT)
    assert (alerted_run, month) == (run, latest)
    assert f"{int(upper) + 5} actual leavers" in message and "above" in message

    code, results = _alert(project, "--vars", "{monitoring_alert_severity: error}")
    assert code == 1
    for alert in (AUC_ALERT, BAND_ALERT):
        assert (results[alert]["status"], results[alert]["failures"]) == ("fail", 1)
