"""A real browser: headless Chromium loads the running storyboard server.

`make test` installs Debian's `chromium` first (`make browser`). The server is
the one `people-ml storyboard` runs; every page must show its headline numbers
(computed here with SQL over the warehouse) and its charts, and is saved as a
PNG (also into PEOPLE_ML_SCREENSHOT_DIR when that is set, e.g. for CI).
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest
from conftest import Project
from test_storyboard import monitored_project_for

from people_ml.storyboard import PAGE_HEADLINES, PAGES, browser

pytestmark = [pytest.mark.dbt, pytest.mark.browser]
pytest.importorskip("streamlit")


def _expected_texts(project: Project) -> dict[str, list[str]]:
    """Per page: the texts that prove its numbers came through."""
    ((headcount, leavers, high),) = project.query(
        "select count(*), sum(prediction), count(*) filter (where risk_band = "
        "'high') from marts.fct_ml_predictions where model_key = 'attrition'"
    )
    ((top_feature,),) = project.query(
        "select importance.feature_label from marts.fct_ml_feature_importance as "
        "importance inner join marts.dim_ml_models as models on "
        "importance.run_id = models.shown_run_id where models.model_key = "
        "'attrition' and importance.importance_rank = 1"
    )
    ((manager_id, risk, first_driver),) = project.query(
        "select predictions.manager_worker_id, predictions.prediction, "
        "drivers.feature_label from marts.fct_ml_predictions as predictions "
        "inner join marts.fct_ml_prediction_drivers as drivers "
        "on predictions.model_key = drivers.model_key "
        "and predictions.worker_id = drivers.worker_id "
        "and drivers.driver_rank = 1 "
        "where predictions.model_key = 'attrition' "
        "order by predictions.prediction desc, predictions.worker_id limit 1"
    )
    ((runs,),) = project.query("select count(*) from marts.dim_ml_runs")
    ((employees, actual),) = project.query(
        "select count(*), avg(actual_base_salary) from marts.fct_ml_expected_pay"
    )
    # Review: nothing is pending in the fixture, so the shown attrition run.
    ((run_id, failed, group, flagged),) = project.query(
        "select runs.run_id, runs.failed_gate_count, groups.group_value, "
        "groups.metric_value from marts.dim_ml_runs as runs "
        "inner join marts.fct_ml_subgroup_performance as groups "
        "on runs.run_id = groups.run_id and groups.attribute = 'gender' "
        "and groups.split = 'test' and groups.metric = 'selection_rate' "
        "and groups.is_reference_group "
        "where runs.model_key = 'attrition' and runs.is_shown"
    )
    return {
        "overview.py": [
            f"{headcount:,}",
            f"{leavers:,.1f}",
            f"{high:,}",
            "How far to trust these numbers",
        ],
        "drivers.py": [f"Top driver: {top_feature}", "percentage points"],
        "people.py": [
            f"{risk:.1%}",
            f"manager {manager_id}",
            f"Top drivers: {first_driver}: ",
            "name-level data",
            "What if something changed?",
        ],
        "levers.py": ["correlational, not causal", "Simulate"],
        "runs.py": ["Which run each model shows", f"Runs\n\n{runs}"],
        "expected_pay.py": [f"{employees:,}", f"{actual:,.0f}"],
        "review.py": [
            f"Run {run_id[:12]} of attrition",
            f"Gates failed\n\n{failed}",
            f"{group} (largest)",
            f"{flagged:.1%} (",
            "fewer than 10 people",
            "only pending runs can be deployed",
        ],
        # Just deployed: no outcomes yet, drift against its own training data.
        "monitoring.py": [
            "No outcomes yet: run #1 predicted on",
            "Has the workforce changed since the model learned?",
            "How to read PSI.",
        ],
    }


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_chromium_shows_every_page_with_its_headline_numbers(
    deployed_project: Project, tmp_path: Path
):
    if os.environ.get("PEOPLE_ML_SKIP_BROWSER"):
        pytest.skip("PEOPLE_ML_SKIP_BROWSER is set")
    browser.find_chromium()  # fails with the install command when missing
    expected = _expected_texts(deployed_project)
    env = {
        **deployed_project.env(),
        "PEOPLE_ML_PUBLISH_DIR": str(deployed_project.root / "published"),
    }
    keep = os.environ.get("PEOPLE_ML_SCREENSHOT_DIR")
    log = tmp_path / "streamlit.log"
    with browser.serve(env, log=log) as url:
        for page in PAGES:
            headline, min_charts = PAGE_HEADLINES[page]
            shot = browser.capture(
                browser.page_url(url, page),
                tmp_path / f"{page.removesuffix('.py')}.png",
                wait_for=[headline, *expected[page]],
                min_charts=min_charts,
                width=1280,
                height=720,
            )
            assert shot.chart_count >= min_charts
            assert "Traceback" not in shot.text
            width, height = _png_size(shot.screenshot)
            # Full page: as high as the page, never cut at the window's height.
            assert width == 1280
            assert height == shot.page_height >= 720
            assert shot.screenshot.stat().st_size > 20_000  # not a blank page
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy2(shot.screenshot, Path(keep) / shot.screenshot.name)
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="session")
def monitored_project(built_project: Project, tmp_path_factory) -> Project:
    """The storyboard tests' project with outcomes and drift (built once)."""
    return monitored_project_for(built_project, tmp_path_factory)


def test_chromium_shows_the_monitoring_page_with_outcomes_and_drift(
    monitored_project: Project, tmp_path: Path
):
    if os.environ.get("PEOPLE_ML_SKIP_BROWSER"):
        pytest.skip("PEOPLE_ML_SKIP_BROWSER is set")
    browser.find_chromium()
    project = monitored_project
    ((actual, people),) = project.query(
        "select metric_value, row_count from marts.fct_ml_realized_performance "
        "where model_key = 'attrition' and is_latest_month "
        "and months_since_prediction > 0 and metric_name = 'actual_leavers_to_date'"
    )
    env = {**project.env(), "PEOPLE_ML_PUBLISH_DIR": str(project.root / "published")}
    log = tmp_path / "streamlit.log"
    headline, _ = PAGE_HEADLINES["monitoring.py"]
    with browser.serve(env, log=log) as url:
        shot = browser.capture(
            browser.page_url(url, "monitoring.py"),
            tmp_path / "monitoring.png",
            wait_for=[
                headline,
                "has shifted since the model learned",
                "Expected vs actual leavers",
                f"{actual:,.0f} ({actual / people:.1%})",
                "2 of those 12 months have passed",
                "How to read PSI.",
                "Input the model has not seen",
            ],
            min_charts=2,  # the leavers' trend and the drift drill-down
            width=1280,
        )
    assert shot.chart_count == 2
    assert "Traceback" not in shot.text
    # The page is several screens long: the screenshot holds all of it.
    assert _png_size(shot.screenshot) == (1280, shot.page_height)
    assert shot.page_height > 2000
    assert shot.screenshot.stat().st_size > 50_000
    keep = os.environ.get("PEOPLE_ML_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot.screenshot, Path(keep) / "monitoring_with_outcomes.png")
    assert "Traceback" not in log.read_text()
