"""The deployment review on real dbt: comparison, rollback, protected features."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import RERUN_UNCHANGED, Project, clone_project

pytestmark = pytest.mark.dbt

BY = ("--by", "ana@example.com")


def _ok(project: Project, *args: str) -> str:
    completed = project.people_ml(*args)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _shown(project: Project) -> set[str]:
    models = project.query(
        "select shown_run_id from marts.dim_ml_models where model_key = 'attrition'"
    )
    predicted = project.query(
        "select distinct run_id from marts.fct_ml_predictions "
        "where model_key = 'attrition'"
    )
    return {row[0] for row in models} | {row[0] for row in predicted}


def test_compare_deploy_and_roll_back_on_real_dbt(
    built_project: Project, tmp_path: Path
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    [(run_1,)] = project.query("select run_id from ml.ml_attrition_runs")
    _ok(project, "deploy", run_1, "--override-gates", "--reason", "first", *BY)
    # The same inputs again, run on request (unchanged inputs add no run).
    second = project.dbt("build", "--exclude", "ml_expected_pay_runs", *RERUN_UNCHANGED)
    assert second.ok, second.output[-4000:]
    [(run_2,)] = project.query(
        f"select run_id from ml.ml_attrition_runs where run_id != '{run_1}'"
    )
    # Run 2 is compared with run 1, both on run 2's test period: the same rows.
    [(compared, n_rows)] = project.query(
        "select compared_run_id, candidate_value from marts.fct_ml_run_comparison "
        f"where run_id = '{run_2}' and split = 'test' and metric = 'n_rows'"
    )
    [(n_test, stored)] = project.query(
        "select r.n_test_rows, (select count(*) from ml_store.test_predictions t "
        f"where t.run_id = '{run_2}') from ml.ml_attrition_runs r "
        f"where r.run_id = '{run_2}'"
    )
    assert compared == run_1
    assert n_rows == n_test == stored
    [(auc_2, auc_1)] = project.query(
        "select candidate_value, compared_value from marts.fct_ml_run_comparison "
        f"where run_id = '{run_2}' and split = 'test' and metric = 'roc_auc'"
    )
    assert 0.5 < auc_1 < 1 and 0.5 < auc_2 < 1
    review = _ok(project, "review", run_2[:10])
    assert f"shown run {run_1[:12]}" in review and "GATES" in review

    _ok(project, "deploy", run_2, "--override-gates", "--reason", "better", *BY)
    applied = project.people_ml(
        "rollback", "attrition", "--reason", "wrong", "--apply", *BY
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"BI shows run {run_1} again" in applied.stdout
    # BI shows run 1 again; the log holds every decision, the rollback last.
    assert _shown(project) == {run_1}
    lines = (project.root / "seeds" / "run_status.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [
        [run_1, "deployed"],
        [run_2, "deployed"],
        [run_2, "ignored"],
    ]
    assert lines[-1].split(",")[4].startswith(f"rollback to {run_1}: wrong")
    # A full build keeps showing run 1 (run 2 never comes back).
    third = project.dbt("build", "--exclude", "ml_expected_pay_runs")
    assert third.ok, third.output[-4000:]
    assert _shown(project) == {run_1}
    shutil.rmtree(project.root)


def test_a_protected_attribute_as_a_feature_fails_the_build(
    built_project: Project, tmp_path: Path
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    spec = project.root / "python_models" / "ml" / "_ml__models.yml"
    text = spec.read_text()
    edited = text.replace(
        "keep_columns: [gender, ethnicity_group, age_years, age_band]",
        "keep_columns: [ethnicity_group, age_years, age_band]",
    )
    assert edited != text
    spec.write_text(edited)
    [(before,)] = project.query("select count(*) from ml.ml_attrition_runs")
    broken = project.dbt("build", "--select", "ml_attrition_runs")
    assert not broken.ok
    assert "protected attribute(s) ['gender'] would be features" in broken.output
    assert project.query("select count(*) from ml.ml_attrition_runs") == [(before,)]
    shutil.rmtree(project.root)


def test_a_scored_run_failing_a_gate_is_not_auto_deployed(
    built_project: Project, tmp_path: Path
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    spec = project.root / "python_models" / "ml" / "_ml__models.yml"
    text = spec.read_text()
    edited = text.replace("min_test_roc_auc: 0.65", "min_test_roc_auc: 0.99")
    assert edited != text
    spec.write_text(edited)
    [(run_1,)] = project.query("select run_id from ml.ml_attrition_runs")
    _ok(project, "deploy", run_1, "--persist", "--override-gates", "--reason", "f", *BY)
    _ok(project, "advance", "--months", "1")
    scored = project.dbt("build", "--exclude", "ml_expected_pay_runs")
    assert scored.ok, scored.output[-4000:]
    [(run_2, mode, auto)] = project.query(
        "select run_id, mode, is_auto_deployed from ml.ml_attrition_runs "
        "where run_number = 2"
    )
    assert (mode, auto) == ("scored", False)
    [(status, gate_status)] = project.query(
        f"select status, gate_status from marts.dim_ml_runs where run_id = '{run_2}'"
    )
    assert (status, gate_status) == ("pending", "fail")
    [(message,)] = project.query(
        "select message from ml_store.warnings "
        f"where run_id = '{run_2}' and code = 'auto_deploy_held'"
    )
    assert "min_test_roc_auc" in message and "stays pending" in message
    assert _shown(project) == {run_1}
    shutil.rmtree(project.root)
