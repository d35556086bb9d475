"""One ML model failing costs the other models nothing but the green build.

A real `dbt build` of a deployed project in which the expected-pay spec names
its target in the wrong case: the expected-pay run is refused (the gate's
column_case_mismatch, recorded in ml_store.run_failures, no run record),
while the attrition model trains its new run, every mart is rebuilt with it
and the publication carries it; the build fails at the test
ml_run_succeeded on ml_expected_pay_runs, naming the model and the error.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from conftest import Project, clone_project, linear_models_only


def test_a_failing_model_leaves_the_other_models_marts_and_publication_built(
    deployed_project: Project, tmp_path: Path
) -> None:
    project = clone_project(deployed_project, tmp_path / "people_ml")
    linear_models_only(project)
    spec = project.root / "python_models" / "ml" / "_ml__models.yml"
    text = spec.read_text()
    broken = text.replace(
        "        target: base_salary\n", "        target: Base_Salary\n"
    )
    assert broken != text
    spec.write_text(broken)
    runs_before = dict(
        project.query("select model_key, count(*) from marts.dim_ml_runs group by 1")
    )

    build = project.dbt("build")

    assert not build.ok
    assert "FAIL 1 ml_run_succeeded_ml_expected_pay_runs_" in build.output
    assert "PASS ml_run_succeeded_ml_attrition_runs_" in build.output
    assert "did you mean 'base_salary'" in build.output
    assert " SKIP " not in build.output and "SKIP=0" in build.output
    runs_after = dict(
        project.query("select model_key, count(*) from marts.dim_ml_runs group by 1")
    )
    assert runs_after == {
        "attrition": runs_before["attrition"] + 1,
        "expected_pay": runs_before["expected_pay"],
    }
    [(new_run,)] = project.query(
        "select run_id from ml.ml_attrition_runs order by run_number desc limit 1"
    )
    [(error_type, message)] = project.query(
        "select error_type, message from ml_store.run_failures "
        "where dbt_model = 'ml_expected_pay_runs'"
    )
    assert error_type == "DataError" and "column_case_mismatch" in message
    published = project.root / "published" / "current" / "dim_ml_runs.parquet"
    with duckdb.connect() as con:
        ids = {
            r[0]
            for r in con.execute(
                f"select run_id from read_parquet('{published}')"
            ).fetchall()
        }
    assert new_run in ids


def test_an_unchanged_model_adds_no_run_unless_asked(
    deployed_project: Project, tmp_path: Path
) -> None:
    project = clone_project(deployed_project, tmp_path / "people_ml")
    linear_models_only(project)

    def runs() -> int:
        return project.query("select count(*) from ml.ml_expected_pay_runs")[0][0]

    before = runs()
    # The spec changed (linear only): a new run.
    first = project.dbt("build", "--select", "ml_expected_pay_runs")
    assert first.ok, first.output[-3000:]
    assert runs() == before + 1
    # Its progress on dbt's console, once per line: stages and candidates.
    progress = [
        line
        for line in first.output.splitlines()
        if "people_ml ml_expected_pay_runs adapter:" in line
    ]
    assert any("AutoML candidate 1 of " in line for line in progress), progress
    assert any(" left" in line or "done" in line for line in progress)
    assert any("reviewing run" in line for line in progress)
    assert "INFO:people_ml.progress" not in first.output
    # Nothing changed since: no run, and the build says why and how to force.
    again = project.dbt("build", "--select", "ml_expected_pay_runs")
    assert again.ok, again.output[-3000:]
    assert runs() == before + 1
    assert "unchanged since run" in again.output
    assert "ml_rerun_unchanged: true" in again.output
    forced = project.dbt(
        "build",
        "--select",
        "ml_expected_pay_runs",
        "--vars",
        "{ml_rerun_unchanged: true}",
    )
    assert forced.ok, forced.output[-3000:]
    assert runs() == before + 2
    fingerprints = project.query(
        "select count(distinct input_fingerprint) from ml.ml_expected_pay_runs "
        f"where run_number > {before}"
    )
    assert fingerprints == [(1,)]  # the same inputs, run twice on request
