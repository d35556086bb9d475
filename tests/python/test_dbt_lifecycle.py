"""End-to-end: the run lifecycle driven by the people-ml commands on real dbt.

build -> deploy run 1 -> build -> persist run 2 -> advance, build (scored and
auto-deployed) -> ignore a pending run -> unfreeze -> build (trains anew).
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import Project, linear_models_only

from people_ml.ledger import read_log

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


def _without_fairness_gates(project: Project) -> None:
    """Loosen the attrition model's fairness gates in this copy of the project.

    The lifecycle, not the gates, is under test here (test_dbt_review tests
    the gates): whether a small extract's run passes a four-fifths ratio is
    the data's business, and a deploy or an auto-deploy held by it would stop
    the lifecycle for a reason this test is not about.
    """
    spec = project.root / "python_models" / "ml" / "_ml__models.yml"
    text = spec.read_text()
    loose = text.replace(
        "min_selection_rate_ratio: 0.8", "min_selection_rate_ratio: 0.0"
    ).replace(
        "max_equalized_odds_difference: 0.2", "max_equalized_odds_difference: 1.0"
    )
    assert loose != text
    spec.write_text(loose)


def test_lifecycle_driven_by_the_commands(project: Project) -> None:
    seed = project.root / "seeds" / "run_status.csv"
    by = ("--by", "ana@example.com")
    _without_fairness_gates(project)
    linear_models_only(project)

    _build(project)
    [(run_1, _, mode_1, _)] = _attrition_runs(project)
    [(pay_1,)] = project.query("select run_id from ml.ml_expected_pay_runs")
    assert mode_1 == "trained"
    assert _status(project, run_1) == ("pending", None, False)
    # Nothing deployed: BI shows nothing, not the latest pending run.
    _assert_shown(project, "attrition", None)
    _assert_shown(project, "expected_pay", None)

    _ok(project, "deploy", run_1[:8], "--reason", "first model looks right", *by)
    # The same inputs again: a run only on request (else unchanged: no run).
    _build(project, *ATTRITION_ONLY, "--vars", "{ml_rerun_unchanged: true}")
    run_2, number, mode, _ = _attrition_runs(project)[-1]
    assert (number, mode) == (2, "trained")
    assert _status(project, run_1) == ("deployed", "ana@example.com", False)
    # Run 1 is shown; the newer, pending run 2 never appears.
    _assert_shown(project, "attrition", run_1)
    headcount = project.query(
        "select count(*) from intermediate.int_attrition_person_months_labelled"
        " where sample_period = 'current'"
    )[0][0]
    predicted = project.query(
        "select count(*), count(distinct risk_band) from marts.fct_ml_predictions"
        " where model_key = 'attrition' and org_unit_id is not null"
    )[0]
    assert predicted == (headcount, 3)
    # Every prediction states its window: the run's label horizon.
    windows = project.query(
        "select distinct horizon_months from marts.fct_ml_predictions"
        " where model_key = 'attrition'"
    )
    assert windows == [(12,)]
    history = project.query(
        "select distinct horizon_months from marts.fct_ml_prediction_history"
        " where model_key = 'attrition'"
    )
    assert history == [(12,)]

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
    _hand_edits_that_break_the_log_fail_the_build(project, run_1, run_3)

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
    logged = read_log(seed).decisions
    assert [(d.run_id, d.status, d.decided_by, d.reason) for d in logged] == [
        (run_1, "deployed", "ana@example.com", "first model looks right"),
        (run_2, "persisted", "ana@example.com", "freeze it"),
        (pay_1, "ignored", "ana@example.com", "experimental features"),
        (run_2, "deployed", "ana@example.com", "unfreeze: pay bands changed"),
    ]
    shown = _ok(project, "show", run_2[:8])
    assert "unfreeze: pay bands changed" in shown and "EDA REPORT" in shown

    # A hand edit that breaks a rule fails the build, naming the run and rule.
    with seed.open("a") as log:
        log.write(f"{pay_1},deployed,{_now()},bo,sneaky\n")
    broken = project.dbt("build", "--select", "ml_decision_log+")
    assert not broken.ok
    assert pay_1 in broken.output
    assert "line 6" in broken.output and "ignoring is final" in broken.output


def _now() -> str:
    # Microseconds: a time cut to the second can precede a run just recorded.
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S.%f}"


def _other_id(run_id: str) -> str:
    """A run id that differs from ``run_id`` in its last character only."""
    return run_id[:-1] + ("1" if run_id.endswith("0") else "0")


def _run_counts(project: Project) -> tuple[int, int]:
    return (
        project.query("select count(*) from ml.ml_attrition_runs")[0][0],
        project.query("select count(*) from ml.ml_expected_pay_runs")[0][0],
    )


def _hand_edits_that_break_the_log_fail_the_build(
    project: Project, run_1: str, run_3: str
) -> None:
    """Each bad line fails the build before any ML model runs; BI is unchanged.

    run_1 is deployed, run_2 persisted, run_3 scored and auto-deployed.
    """
    seed = project.root / "seeds" / "run_status.csv"
    good = seed.read_bytes()
    lines = len(good.splitlines())
    cases = [
        # A scored run the system deployed cannot be ignored or persisted.
        (f"{run_3},ignored,{_now()},bo,hand edit", "already deployed"),
        (f"{run_3},persisted,{_now()},bo,hand edit", "already deployed"),
        # A run this warehouse does not know: a warning, not an error.
        (f"{_other_id(run_1)},persisted,{_now()},bo,typo", None),
        # An unknown status word names the line, not "Got 1 result".
        (f"{run_1},deploy,{_now()},bo,typo", "status 'deploy' is not a decision"),
        # A UTC offset is refused with the UTC spelling, not bad advice.
        (f"{run_1},deployed,2026-01-05 12:00:00+02:00,bo,tz", "2026-01-05 10:00:00"),
    ]
    counts = _run_counts(project)
    for line, message in cases:
        seed.write_bytes(good + f"{line}\n".encode())
        if message is None:
            warned = project.dbt(
                "build", "--select", "ml_decision_log+", "--exclude", "tag:ml_model"
            )
            assert warned.ok, warned.output[-3000:]
            assert "int_ml_run_decisions_name_known_runs" in warned.output
            continue
        # The ML models are selected too: the log's check fails before them.
        broken = project.dbt("build", "--select", "ml_decision_log+")
        assert not broken.ok, line
        assert f"line {lines + 1}" in broken.output, broken.output[-3000:]
        assert message in broken.output, broken.output[-3000:]
        assert "Got 1 result" not in broken.output
        assert "run_status+" not in broken.output
        assert _run_counts(project) == counts  # no ML model ran
        _assert_shown(project, "attrition", run_3)
    seed.write_bytes(good)
