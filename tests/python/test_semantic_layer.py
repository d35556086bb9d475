"""The semantic layer answers what the marts say: `mf query` on real dbt and DuckDB.

On the session's `deployed_project` (built, both runs deployed, marts rebuilt):
`mf query` (a subprocess in the project copy) against SQL over
marts.fct_ml_predictions / fct_ml_expected_pay. Nothing here writes to it.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Project

pytestmark = pytest.mark.dbt

pytest.importorskip("dbt_metricflow", reason="dbt-metricflow (the dev extra)")

MF = Path(sys.executable).parent / "mf"
REL = 1e-6


def _mf_query(project: Project, metrics: list[str], group_by: str) -> list[dict]:
    """Run `mf query` in the project copy; the rows of its CSV output."""
    out = project.root / "mf_query.csv"
    # mf opens the DuckDB file read-write: nothing else may hold it meanwhile.
    completed = subprocess.run(
        [
            str(MF),
            "query",
            "--metrics",
            ",".join(metrics),
            "--group-by",
            group_by,
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
        return list(csv.DictReader(handle))


def _by_division(rows: list[tuple]) -> dict[str, tuple]:
    return {division or "": tuple(values) for division, *values in rows}


def test_mf_query_matches_the_marts(deployed_project: Project) -> None:
    project = deployed_project
    shown = project.query("select count(*) from marts.dim_ml_runs where is_shown")
    assert shown == [(2,)]  # one attrition and one expected_pay run

    expected = _by_division(
        project.query(
            "select division_name, sum(prediction),"
            " count(*) filter (where risk_band = 'high')"
            " from marts.fct_ml_predictions where model_key = 'attrition'"
            " group by division_name"
        )
    )
    pay_gap = _by_division(
        project.query(
            "select predictions.division_name,"
            " avg(pay.actual_base_salary) / avg(pay.expected_base_salary) - 1"
            " from marts.fct_ml_expected_pay as pay"
            " left join marts.fct_ml_predictions as predictions"
            " on pay.prediction_id = predictions.prediction_id"
            " group by predictions.division_name"
        )
    )
    (leavers, high_risk) = project.query(
        "select sum(prediction), count(*) filter (where risk_band = 'high')"
        " from marts.fct_ml_predictions where model_key = 'attrition'"
    )[0]
    assert leavers > 0 and high_risk > 0

    rows = _mf_query(
        project,
        ["expected_leavers", "high_risk_headcount", "average_pay_gap_share"],
        "prediction__division_name",
    )
    answered = {row["prediction__division_name"]: row for row in rows}
    assert set(answered) == set(expected) | set(pay_gap)
    for division, (division_leavers, division_high_risk) in expected.items():
        row = answered[division]
        assert float(row["expected_leavers"]) == pytest.approx(
            division_leavers, rel=REL
        )
        assert int(row["high_risk_headcount"]) == division_high_risk
    for division, (gap,) in pay_gap.items():
        assert float(answered[division]["average_pay_gap_share"]) == pytest.approx(
            gap, rel=REL
        )
    # The slices add up to the company total: no row lost to the group-by.
    assert sum(float(row["expected_leavers"]) for row in rows) == pytest.approx(
        leavers, rel=REL
    )
    assert sum(int(row["high_risk_headcount"]) for row in rows) == high_risk


def test_mf_answers_expected_leavers_by_prediction_window(
    deployed_project: Project,
) -> None:
    project = deployed_project
    expected = dict(
        project.query(
            "select horizon_months, sum(prediction) from "
            "marts.fct_ml_prediction_horizons where model_key = 'attrition' "
            "group by 1"
        )
    )
    # The attrition hazard predicts three windows, nested: fewer leave in 3
    # months than in 12.
    assert sorted(expected) == [3, 6, 12]
    assert expected[3] < expected[6] < expected[12]
    # The 12-month window is the run's: the same sum as fct_ml_predictions.
    ((twelve,),) = project.query(
        "select sum(prediction) from marts.fct_ml_predictions "
        "where model_key = 'attrition'"
    )
    assert expected[12] == pytest.approx(twelve, rel=REL)
    rows = _mf_query(
        project,
        ["expected_leavers_within_horizon"],
        "prediction_horizon__horizon_months",
    )
    got = {
        int(row["prediction_horizon__horizon_months"]): float(
            row["expected_leavers_within_horizon"]
        )
        for row in rows
    }
    assert got.keys() == expected.keys()
    for horizon, value in expected.items():
        assert got[horizon] == pytest.approx(value, rel=REL)


def test_mf_answers_every_classification_model_by_model_key(
    deployed_project: Project,
) -> None:
    project = deployed_project
    expected = {
        key: (events, headcount, high)
        for key, events, headcount, high in project.query(
            "select model_key, sum(prediction), count(*),"
            " count(*) filter (where risk_band = 'high')"
            " from marts.fct_ml_predictions where risk_band is not null"
            " group by model_key"
        )
    }
    assert set(expected) == {"attrition"}  # expected_pay is a regression
    rows = _mf_query(
        project,
        ["expected_events", "scored_headcount", "high_risk_headcount_by_model"],
        "prediction__model_key",
    )
    answered = {
        row["prediction__model_key"]: row
        for row in rows
        if row["scored_headcount"] not in ("", "0", None)
    }
    assert set(answered) == set(expected)
    for key, (events, headcount, high) in expected.items():
        assert float(answered[key]["expected_events"]) == pytest.approx(events, rel=REL)
        assert int(answered[key]["scored_headcount"]) == headcount
        assert int(answered[key]["high_risk_headcount_by_model"]) == high
