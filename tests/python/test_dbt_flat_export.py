"""A flat export plugs in by following the README alone: the IBM sample.

The scenario runs the README's section "A flat export" as written, on a copy
of the session's built project: it changes only what the README says to
change (the ml_run_models line of dbt_project.yml; nothing under src/), then
runs the README's build command, lists the runs, reviews the new run, sees the
deployment refused by the fairness gates, deploys with the override, and
finds the run in the marts, the publication and the storyboard's Overview.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT, Project, clone_project

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

README = (REPO_ROOT / "README.md").read_text()
SECTION = README[README.index("### A flat export") : README.index("### How a run sets")]


def _readme_lines(prefix: str) -> list[str]:
    """The README section's command lines starting with ``prefix``."""
    return [
        line.split("  #")[0].strip()
        for line in SECTION.splitlines()
        if line.strip().startswith(prefix)
    ]


def test_the_ibm_sample_plugs_in_by_following_the_readme(
    built_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    # 1. "add its run model to the ml_run_models var in dbt_project.yml"
    [switch] = [line for line in SECTION.splitlines() if "ml_run_models:" in line]
    config = project.root / "dbt_project.yml"
    text = config.read_text()
    edited = re.sub(r"^  ml_run_models: .*$", switch, text, count=1, flags=re.M)
    assert edited != text
    config.write_text(edited)

    # 2. The README's build command: this model, then the marts and publication.
    [build_line] = _readme_lines("dbt build --select")
    build = project.dbt(*build_line.split()[1:])
    assert build.ok, build.output[-4000:]
    assert "ml_attrition_runs " not in build.output  # the others did not run

    runs = project.people_ml("runs")
    assert runs.returncode == 0, runs.stderr
    [row] = [line for line in runs.stdout.splitlines() if "flat_attrition" in line]
    run_id = row.split()[0]
    assert "pending" in row and "trained" in row

    review = project.people_ml("review", run_id)
    assert "REVIEW of run" in review.stdout, review.stdout + review.stderr
    assert "marital_status" in review.stdout and "department_name" in review.stdout

    # 3. Deploying as the README does first is refused by the fairness gates...
    refused = project.people_ml(
        "deploy",
        run_id,
        "--reason",
        "IBM example",
        "--by",
        "ana@example.com",
        "--apply",
    )
    assert refused.returncode != 0
    assert "min_selection_rate_ratio" in refused.stdout + refused.stderr
    # ...and with the override and a reason it is deployed and applied.
    deployed = project.people_ml(
        "deploy",
        run_id,
        "--override-gates",
        "--by",
        "ana@example.com",
        "--apply",
        "--reason",
        "IBM example: a sample, not people",
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    # 4. The marts: every employee still employed has a prediction, and the
    # org columns of people outside the HRIS are null, not invented.
    sample = pd.read_csv(REPO_ROOT / "data" / "reference" / "ibm_hr_attrition.csv")
    stayers = int((sample["Attrition"] == "No").sum())
    [(count, high, with_division, workers, run)] = project.query(
        "select count(*), count(*) filter (where risk_band = 'high'), "
        "count(division_name), count(*) filter (where is_hris_worker), "
        "max(run_id) from marts.fct_ml_predictions "
        "where model_key = 'flat_attrition'"
    )
    assert count == stayers == 1233
    assert high > 0 and with_division == 0 and workers == 0
    assert run.startswith(run_id)
    [(auc,)] = project.query(
        "select value from marts.fct_ml_model_performance where model_key = "
        "'flat_attrition' and split = 'test' and metric = 'roc_auc'"
    )
    assert auc > 0.8  # the IBM sample's usual level
    assert project.query(
        "select count(*) from marts.fct_ml_data_quality "
        "where model_key = 'flat_attrition'"
    ) == [(0,)]

    # 5. The storyboard's Overview over the publication shows the run.
    monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(project.root / "published"))
    monkeypatch.setenv("PEOPLE_ML_STORYBOARD_AUTH", "local")
    from people_ml.storyboard import APP_PATH

    app = AppTest.from_file(str(APP_PATH), default_timeout=60)
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Headcount"] == f"{stayers:,}"
    assert "not workers of the HRIS extract" in app.info[0].value
    # The Model runs page states the data-quality gate's verdict on the run.
    app.switch_page("views/runs.py")
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    assert any("data-quality gate found nothing" in m.value for m in app.success)
