"""End-to-end: the run lifecycle driven by the people-ml commands on real dbt.

build -> deploy run 1 -> build -> persist run 2 -> advance, build (scored and
auto-deployed) -> ignore a pending run -> unfreeze -> build (trains anew).
"""

from __future__ import annotations

import pytest
from conftest import Project

from people_ml.decisions import read_log

pytestmark = pytest.mark.dbt

# The expected-pay model trains once; later builds keep its runs as they are.
ATTRITION_ONLY = ("--exclude", "ml_expected_pay_runs")


def _attrition_runs(project: Project) -> list[tuple]:
    return project.query(
        "select run_id, run_number, mode, frozen_run_id from ml.ml_attrition_runs "
        "order by run_number"
    )


def _status(project: Project, run_id: str) -> tuple:
    return project.query(
        "select status, decided_by, is_frozen from intermediate.int_ml_run_statuses "
        f"where run_id = '{run_id}'"
    )[0]


def _shown(project: Project, model_key: str) -> dict[str, set]:
    """The runs each BI mart shows for one ML model."""
    return {
        "dim_ml_models": {
            row[0]
            for row in project.query(
                "select shown_run_id from marts.dim_ml_models "
                f"where model_key = '{model_key}' and shown_run_id is not null"
            )
        },
        "dim_ml_runs": {
            row[0]
            for row in project.query(
                "select run_id from marts.dim_ml_runs "
                f"where model_key = '{model_key}' and is_shown"
            )
        },
        **{
            mart: {
                row[0]
                for row in project.query(
                    f"select distinct run_id from marts.{mart} "
                    f"where model_key = '{model_key}'"
                )
            }
            for mart in ("fct_ml_predictions", "fct_ml_prediction_drivers")
        },
    }


def _assert_shown(project: Project, model_key: str, run_id: str | None) -> None:
    expected = {run_id} if run_id else set()
    assert _shown(project, model_key) == dict.fromkeys(
        (
            "dim_ml_models",
            "dim_ml_runs",
            "fct_ml_predictions",
            "fct_ml_prediction_drivers",
        ),
        expected,
    )


def _ok(project: Project, *args: str) -> str:
    completed = project.people_ml(*args)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _build(project: Project, *args: str) -> None:
    result = project.dbt("build", *args)
    assert result.ok, result.output[-4000:]


def test_lifecycle_driven_by_the_commands(project: Project) -> None:
    seed = project.root / "seeds" / "run_status.csv"
    by = ("--by", "ana@example.com")

    _build(project)
    [(run_1, _, mode_1, _)] = _attrition_runs(project)
    [(pay_1,)] = project.query("select run_id from ml.ml_expected_pay_runs")
    assert mode_1 == "trained"
    assert _status(project, run_1) == ("pending", None, False)
    # Nothing deployed: BI shows nothing, not the latest pending run.
    _assert_shown(project, "attrition", None)
    _assert_shown(project, "expected_pay", None)

    _ok(project, "deploy", run_1[:8], "--reason", "first model looks right", *by)
    _build(project, *ATTRITION_ONLY)
    run_2, number, mode, _ = _attrition_runs(project)[-1]
    assert (number, mode) == (2, "trained")
    assert _status(project, run_1) == ("deployed", "ana@example.com", False)
    # Run 1 is shown; the newer, pending run 2 never appears.
    _assert_shown(project, "attrition", run_1)
    headcount = project.query(
        "select count(*) from intermediate.int_attrition_samples_labelled"
        " where sample_period = 'current'"
    )[0][0]
    predicted = project.query(
        "select count(*), count(distinct risk_band) from marts.fct_ml_predictions"
        " where model_key = 'attrition' and org_unit_id is not null"
    )[0]
    assert predicted == (headcount, 3)

    _ok(project, "deploy", run_2, "--persist", "--reason", "freeze it", *by)
    _ok(project, "advance", "--months", "1")
    _build(project, *ATTRITION_ONLY)
    run_3, number, mode, frozen = _attrition_runs(project)[-1]
    assert (number, mode, frozen) == (3, "scored", run_2)
    assert _status(project, run_2) == ("persisted", "ana@example.com", True)
    assert _status(project, run_3) == ("deployed", "people-ml", False)
    # Deploying a newer run switches every mart to it on the next build.
    _assert_shown(project, "attrition", run_3)
    listed = _ok(project, "runs", "--model", "attrition", "--status", "deployed")
    assert run_3[:12] in listed and run_1[:12] in listed

    _ok(project, "ignore", pay_1[:10], "--reason", "experimental features", *by)
    refused = project.people_ml("deploy", pay_1, "--reason", "changed my mind", *by)
    assert refused.returncode == 3
    assert "ignoring is final" in refused.stderr

    unfrozen = _ok(
        project,
        "unfreeze",
        "attrition",
        "--reason",
        "pay bands changed",
        "--apply",
        *by,
    )
    assert "recorded" in unfrozen
    assert _status(project, run_2) == ("deployed", "ana@example.com", False)
    # The ignored run never appears; unfreezing does not bring run 2 back.
    _assert_shown(project, "expected_pay", None)
    _assert_shown(project, "attrition", run_3)
    _build(project, *ATTRITION_ONLY)
    _, number, mode, frozen = _attrition_runs(project)[-1]
    assert (number, mode, frozen) == (4, "trained", None)
    _assert_shown(project, "attrition", run_3)  # run 4 is pending

    # The seed is the complete, ordered record of what people decided.
    assert [(d.run_id, d.status, d.decided_by, d.reason) for d in read_log(seed)] == [
        (run_1, "deployed", "ana@example.com", "first model looks right"),
        (run_2, "persisted", "ana@example.com", "freeze it"),
        (pay_1, "ignored", "ana@example.com", "experimental features"),
        (run_2, "deployed", "ana@example.com", "unfreeze: pay bands changed"),
    ]
    shown = _ok(project, "show", run_2[:8])
    assert "unfreeze: pay bands changed" in shown and "EDA REPORT" in shown

    # A hand edit that breaks a rule fails the build, naming the run and rule.
    with seed.open("a") as log:
        log.write(f"{pay_1},deployed,2030-01-01 00:00:00,bo,sneaky\n")
    broken = project.dbt(
        "build", "--select", "run_status", "int_ml_decisions_validated"
    )
    assert not broken.ok
    assert pay_1 in broken.output
    assert "ignoring is final" in broken.output
