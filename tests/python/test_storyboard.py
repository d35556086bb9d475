"""The storyboard on a real built warehouse: every page's headline numbers equal
SQL over the marts in the warehouse, the app reads only the publication, and the
exposure, the publishing model and the app agree on which marts they use.

Streamlit's AppTest runs each page in-process against the publication that
`dbt build` wrote in the session's `deployed_project`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import (
    RERUN_UNCHANGED,
    Project,
    clone_project,
    linear_models_only,
    run_page,
)

from people_ml.publish import CATALOG, PUBLISHED_MARTS, open_publication
from people_ml.storyboard import APP_PATH, PAGES, STORYBOARD_TABLES, data

pytestmark = pytest.mark.dbt
AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


def _metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_every_build_publishes_the_marts_it_built(deployed_project: Project):
    project = deployed_project
    publication = open_publication(project.root / "published")
    assert set(publication.tables) == set(PUBLISHED_MARTS)
    for table in PUBLISHED_MARTS:
        ((rows,),) = project.query(f"select count(*) from marts.{table}")
        assert publication.row_count(table) == rows, table
        assert len(publication.read(table)) == rows, table
    # The dbt model's own table records the same publication.
    recorded = project.query(
        "select table_name, publication_id, row_count from publish.published_marts"
    )
    assert {row[0] for row in recorded} == set(PUBLISHED_MARTS)
    assert {row[1] for row in recorded} == {publication.publication_id}
    assert {row[0]: row[2] for row in recorded} == {
        table: publication.row_count(table) for table in PUBLISHED_MARTS
    }
    # Something is shown: the fixture deployed both runs.
    assert publication.row_count("fct_ml_predictions") > 0


def test_exposure_publisher_and_app_agree_on_the_marts(deployed_project: Project):
    manifest = json.loads((deployed_project.root / "target/manifest.json").read_text())
    nodes = manifest["nodes"]
    marts = {
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "model"
        and node["fqn"][1:3] == ["marts", "ml"]
        and node["name"].startswith(("fct_", "dim_"))
    }
    published = {
        nodes[unique_id]["name"]
        for unique_id in nodes["model.people_ml.published_marts"]["depends_on"]["nodes"]
    }
    exposure = manifest["exposures"]["exposure.people_ml.storyboard"]
    exposed = {
        nodes[unique_id]["name"] for unique_id in exposure["depends_on"]["nodes"]
    }

    assert published == marts == set(PUBLISHED_MARTS)  # every mart is published
    assert exposed == set(STORYBOARD_TABLES) | {"published_marts"}


def test_overview_headlines_equal_the_marts(deployed_project, storyboard_on):
    storyboard_on(deployed_project)
    ((headcount, leavers, high, average),) = deployed_project.query(
        "select count(*), sum(prediction), count(*) filter (where risk_band = "
        "'high'), avg(prediction) from marts.fct_ml_predictions "
        "where model_key = 'attrition'"
    )
    app = run_page("overview.py")
    shown = _metrics(app)
    assert shown["Headcount"] == f"{headcount:,}"
    assert shown["Expected leavers"] == f"{leavers:,.1f}"
    assert shown["Expected leaver rate"] == f"{average:.1%}"
    assert shown["High-risk headcount"] == f"{high:,}"
    assert headcount > 0 and high > 0
    # The window and the date are in the headline: the run's own, 12 months.
    ((as_of,),) = deployed_project.query(
        "select max(sample_date) from marts.fct_ml_predictions "
        "where model_key = 'attrition'"
    )
    assert app.title[0].value == (
        f"Who might leave within 12 months of {as_of:%Y-%m-%d}, and where"
    )
    # The model's quality in plain words, from its test period.
    ((precision,),) = deployed_project.query(
        "select performance.value from marts.fct_ml_model_performance as "
        "performance inner join marts.dim_ml_models as models on "
        "performance.run_id = models.shown_run_id where models.model_key = "
        "'attrition' and performance.split = 'test' and performance.metric = "
        "'precision' and performance.class_label = '1'"
    )
    quality = next(
        m.value for m in app.markdown if "Of the people it flagged" in m.value
    )
    per_ten = max(1, round(precision * 10))
    assert f"about {per_ten} of every 10 left" in quality or precision < 0.095


def test_overview_never_shows_a_group_under_the_minimum_size(
    deployed_project, storyboard_on, monkeypatch
):
    """A small group is merged into "Other" (or left out), never shown: here
    with the minimum raised so the fixture's job levels fall under it."""
    storyboard_on(deployed_project)
    sizes = dict(
        deployed_project.query(
            "select job_level, count(*) from marts.fct_ml_predictions "
            "where model_key = 'attrition' group by 1"
        )
    )
    ordered = sorted(sizes.values())
    minimum = ordered[len(ordered) // 2]  # about half the levels are smaller
    monkeypatch.setenv("PEOPLE_ML_MIN_GROUP_SIZE", str(minimum))
    app = run_page("overview.py")
    by_level = next(
        frame.value for frame in app.dataframe if "Job level" in frame.value.columns
    )
    shown = set(by_level["Job level"])
    small = {str(level) for level, size in sizes.items() if size < minimum}
    assert small and not shown & small
    counts = [int(c.replace(",", "")) for c in by_level["Headcount"]]
    assert min(counts) >= minimum
    note = next(
        c.value for c in app.caption if "are never shown on their own" in c.value
    )
    assert f"fewer than {minimum} people" in note


def test_drivers_headlines_equal_the_marts(deployed_project, storyboard_on):
    storyboard_on(deployed_project)
    ((top, features, people),) = deployed_project.query(
        "select max(feature_label) filter (where importance_rank = 1), count(*), "
        "max(entity_count) from marts.fct_ml_feature_importance as importance "
        "inner join marts.dim_ml_models as models "
        "on importance.run_id = models.shown_run_id "
        "where models.model_key = 'attrition'"
    )
    app = run_page("drivers.py")
    shown = _metrics(app)
    assert any(m.value.startswith(f"#### Top driver: {top}\n") for m in app.markdown)
    assert shown["Features explained"] == f"{features:,}"
    assert shown["People explained"] == f"{people:,}"
    # importance bars with intervals, the rating's effect by level, the beeswarm
    assert len(app.get("vega_lite_chart")) == 3
    assert app.selectbox(key="effects_feature").value == "last_rating"


def test_people_page_shows_the_riskiest_person_and_the_name_note(
    deployed_project, storyboard_on
):
    storyboard_on(deployed_project)
    ((worker_id, risk, band, percentile),) = deployed_project.query(
        "select worker_id, prediction, risk_band, prediction_percentile "
        "from marts.fct_ml_predictions where model_key = 'attrition' "
        "order by prediction desc, worker_id limit 1"
    )
    top_features = [
        row[0]
        for row in deployed_project.query(
            "select feature_label from marts.fct_ml_prediction_drivers "
            f"where model_key = 'attrition' and worker_id = '{worker_id}' "
            "and is_top_driver order by driver_rank"
        )
    ]
    app = run_page("people.py")
    assert app.selectbox(key="person_worker_id").value == worker_id
    shown = _metrics(app)
    assert shown["Predicted risk"] == f"{risk:.1%}"
    assert shown["Risk band"] == band.capitalize()
    assert shown["Riskier than"] == (
        "99%" if percentile >= 0.995 else f"{percentile:.0%}"
    )
    assert "name-level data" in app.info[0].value
    summary = next(m.value for m in app.markdown if "Top drivers" in m.value)
    positions = [summary.index(f"{feature}: ") for feature in top_features]
    assert len(top_features) == 3 and positions == sorted(positions)

    # Looking up anyone by id shows theirs; an unknown id says so.
    ((other_id, other_risk),) = deployed_project.query(
        "select worker_id, prediction from marts.fct_ml_predictions "
        "where model_key = 'attrition' order by prediction asc, worker_id limit 1"
    )
    app.text_input(key="person_lookup").input(other_id).run()
    assert _metrics(app)["Predicted risk"] == f"{other_risk:.1%}"
    app.text_input(key="person_lookup").input("W999999").run()
    assert "No prediction for worker id 'W999999'" in app.warning[0].value
    assert not app.metric


def test_runs_page_counts_every_status_and_names_the_shown_run(
    deployed_project, storyboard_on
):
    storyboard_on(deployed_project)
    counts = dict(
        deployed_project.query(
            "select status, count(*) from marts.dim_ml_runs group by 1"
        )
    )
    app = run_page("runs.py")
    shown = _metrics(app)
    assert shown["Runs"] == f"{sum(counts.values()):,}"
    for status in ("pending", "deployed", "persisted", "ignored"):
        assert shown[status.capitalize()] == f"{counts.get(status, 0):,}"
    # The run detail opens on a shown run.
    shown_runs = {
        row[0]
        for row in deployed_project.query(
            "select run_id from marts.dim_ml_runs where is_shown"
        )
    }
    assert app.selectbox(key="run_detail").value in shown_runs


def test_expected_pay_headlines_equal_the_marts(deployed_project, storyboard_on):
    storyboard_on(deployed_project)
    ((employees, actual, expected, gap),) = deployed_project.query(
        "select count(*), avg(actual_base_salary), avg(expected_base_salary), "
        "avg(pay_residual_share) from marts.fct_ml_expected_pay"
    )
    ((mae, r2),) = deployed_project.query(
        "select test_mae, test_r2 from marts.dim_ml_runs "
        "where model_key = 'expected_pay' and is_shown"
    )
    app = run_page("expected_pay.py")
    shown = _metrics(app)
    assert shown["Employees"] == f"{employees:,}"
    assert shown["Average actual pay"] == f"{actual:,.0f}"
    assert shown["Average expected pay"] == f"{expected:,.0f}"
    assert shown["Average gap to expected"] == f"{gap:.1%}"
    trust = next(m.value for m in app.markdown if "How far to trust it" in m.value)
    assert f"off by {mae:,.0f} on average" in trust
    assert f"explains {r2:.0%} of the spread" in trust
    # Group gaps come with their head count and a 95% interval.
    by_gender = dict(
        deployed_project.query(
            "select gender, count(*) from marts.fct_ml_expected_pay group by 1"
        )
    )
    table = next(d.value for d in app.dataframe if "Gender" in d.value.columns)
    assert {"People", "Gap to expected", "95% interval"} <= set(table.columns)
    small = {g: n for g, n in by_gender.items() if n < 10}
    for row in table.itertuples():
        people = int(row.People.replace(",", ""))
        if row.Gender.startswith("Other ("):  # the small groups, merged
            assert people == sum(small.values()) >= 10
        else:
            assert people == by_gender[row.Gender] >= 10
    assert not set(table["Gender"]) & set(small)


@pytest.mark.parametrize("page", list(PAGES))
def test_before_any_deployment_every_page_says_what_to_do(
    built_project, storyboard_on, page
):
    # built_project: built, nothing deployed; its build published empty marts.
    storyboard_on(built_project)
    app = run_page(page)
    if page == "runs.py":
        assert _metrics(app)["Pending"] == "2"
        assert _metrics(app)["Deployed"] == "0"
    elif page == "review.py":  # the pending runs are what it is for
        assert _metrics(app)["Status"] == "Pending"
        assert "Nothing is deployed yet for this model" in app.info[0].value
        assert app.code[0].value.startswith("people-ml deploy ")
    else:
        assert not app.metric
        assert "people-ml deploy" in app.info[0].value


def test_without_a_publication_the_app_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("PEOPLE_ML_STORYBOARD_AUTH", "local")
    app = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert "dbt build" in app.error[0].value
    assert not app.metric


def test_a_bare_streamlit_run_shows_nothing(tmp_path, monkeypatch):
    """Without the serving mode `people-ml storyboard` sets (a bare `streamlit
    run`, perhaps on every interface), the storyboard fails closed."""
    monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.delenv("PEOPLE_ML_STORYBOARD_AUTH", raising=False)
    app = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert "started without a serving mode" in app.error[0].value
    assert not app.metric


def test_people_ml_publish_republishes_the_warehouse(deployed_project, tmp_path):
    target = tmp_path / "published"
    completed = deployed_project.people_ml(
        "publish", env={"PEOPLE_ML_PUBLISH_DIR": str(target)}
    )
    assert completed.returncode == 0, completed.stderr
    publication = open_publication(target)
    assert "people-ml publish" in publication.manifest["source"]
    reference = open_publication(deployed_project.root / "published")
    for table in PUBLISHED_MARTS:
        assert publication.row_count(table) == reference.row_count(table)


def test_people_ml_storyboard_without_a_publication_is_refused(project, tmp_path):
    completed = project.people_ml(
        "storyboard", env={"PEOPLE_ML_PUBLISH_DIR": str(tmp_path / "nothing")}
    )
    assert completed.returncode == 2
    assert "dbt build" in completed.stderr


def test_sigterm_stops_the_storyboard_and_its_server(deployed_project, tmp_path):
    """A service manager's SIGTERM must not leave the server running and serving."""
    from people_ml.storyboard import browser

    port = browser.free_port()
    health = f"http://127.0.0.1:{port}/_stcore/health"
    command = [sys.executable, "-m", "people_ml.cli", "storyboard", "--port", str(port)]
    storyboard = subprocess.Popen(
        command,
        cwd=deployed_project.root,
        env={
            **deployed_project.env(),
            "PEOPLE_ML_PUBLISH_DIR": str(deployed_project.root / "published"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not browser.answers(health):
            assert storyboard.poll() is None, storyboard.stdout.read()
            assert time.monotonic() < deadline, "the storyboard never answered"
            time.sleep(0.25)
        storyboard.send_signal(signal.SIGTERM)
        assert storyboard.wait(timeout=20) == 0
    finally:
        if storyboard.poll() is None:
            storyboard.kill()
    # The server went with it: nothing answers on the port any more.
    assert not browser.answers(health)
    assert browser.free_port_is(port)


def test_a_build_while_the_storyboard_reads_blocks_neither(
    deployed_project, tmp_path, monkeypatch
):
    """`dbt build` runs while the storyboard and a BI connection keep reading."""
    project = clone_project(deployed_project, tmp_path / "people_ml")
    linear_models_only(project)  # the build's length, not its search, matters
    published = project.root / "published"
    monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(published))
    monkeypatch.setenv("PEOPLE_ML_STORYBOARD_AUTH", "local")
    # Re-publish in the copy, so the BI catalog's views point into the copy.
    completed = project.people_ml(
        "publish", env={"PEOPLE_ML_PUBLISH_DIR": str(published)}
    )
    assert completed.returncode == 0, completed.stderr
    before = open_publication(published).publication_id
    # A BI tool holding the catalog open for the whole build.
    catalog = duckdb.connect(str(published / CATALOG), read_only=True)
    build_log = tmp_path / "dbt_build.log"
    build = subprocess.Popen(
        [str(Path(sys.executable).parent / "dbt"), "build"],
        cwd=project.root,
        env=project.env(),
        stdout=build_log.open("w"),  # a file: a full pipe would stall dbt
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 900
    seen: list[str] = []
    errors: list[str] = []
    reads_during_build = 0
    try:
        while True:
            building = build.poll() is None
            try:
                app = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
                assert not app.exception, [item.value for item in app.exception]
                assert _metrics(app)["Headcount"] != "0"
                publication = open_publication(published)
                for table in STORYBOARD_TABLES:
                    frame = publication.read(table)
                    assert len(frame) == publication.row_count(table), table
                ((rows,),) = catalog.execute(
                    "select count(*) from marts.fct_ml_predictions"
                ).fetchall()
                assert rows > 0
                seen.append(publication.publication_id)
            except Exception as error:  # every failed read is a finding
                errors.append(repr(error))
            if not building:
                break
            reads_during_build += 1
            assert time.monotonic() < deadline, "dbt build took over 15 minutes"
    finally:
        catalog.close()
        if build.poll() is None:
            build.kill()
        build.wait()
    output = build_log.read_text()

    assert build.returncode == 0, output[-4000:]
    assert errors == []
    assert reads_during_build >= 5
    after = open_publication(published).publication_id
    assert after != before  # the build published anew...
    assert seen[0] == before and seen[-1] == after  # ...while being read
    # The build trained new (pending) runs; the deployed runs are still shown.
    ((pending,),) = project.query(
        "select count(*) from marts.dim_ml_runs where status = 'pending'"
    )
    assert pending == 2


# --- The Review page -----------------------------------------------------------


@pytest.fixture(scope="module")
def pending_project(deployed_project: Project, tmp_path_factory) -> Project:
    """The deployed project built once more: a pending attrition run beside the
    shown one (``fct_ml_run_comparison`` then holds their side-by-side)."""
    project = clone_project(deployed_project, tmp_path_factory.mktemp("pending") / "p")
    result = project.dbt(
        "build",
        "--select",
        "ml_attrition_runs+",
        "--exclude",
        "ml_expected_pay_runs",
        *RERUN_UNCHANGED,
    )
    assert result.ok, result.output[-5000:]
    return project


def _tables(app) -> list:
    return [table.value for table in app.table]


def _review_expectations(project: Project, run_id: str) -> dict[str, object]:
    ((failed, warned, status),) = project.query(
        "select failed_gate_count, warned_gate_count, status from marts.dim_ml_runs "
        f"where run_id = '{run_id}'"
    )
    gate_counts = dict(
        project.query(
            "select gate_status, count(*) from marts.fct_ml_run_gates "
            f"where run_id = '{run_id}' group by 1"
        )
    )
    assert (failed, warned) == (gate_counts.get("fail", 0), gate_counts.get("warn", 0))
    ((group, share, low, high),) = project.query(
        "select group_value, metric_value, ci_low, ci_high "
        "from marts.fct_ml_subgroup_performance "
        f"where run_id = '{run_id}' and attribute = 'gender' and split = 'test' "
        "and metric = 'selection_rate' and is_reference_group"
    )
    ((suppressed,),) = project.query(
        "select count(distinct (attribute, split, group_value)) "
        "from marts.fct_ml_subgroup_performance "
        f"where run_id = '{run_id}' and is_suppressed"
    )
    return {
        "failed": failed,
        "warned": warned,
        "passed": gate_counts.get("pass", 0),
        "status": status,
        "largest": f"{group} (largest)",
        "largest_share": f"{share:.1%} ({low * 100:.1f}–{high:.1%})",
        "suppressed": suppressed,
    }


def _assert_review_matches(app, expected: dict[str, object]) -> None:
    shown = _metrics(app)
    assert shown["Status"] == str(expected["status"]).capitalize()
    assert shown["Gates failed"] == f"{expected['failed']:,}"
    assert shown["Gates warned"] == f"{expected['warned']:,}"
    assert shown["Gates passed"] == f"{expected['passed']:,}"
    tables = _tables(app)
    # The first fairness table: gender in the test period, largest group marked.
    gender = next(t for t in tables if str(expected["largest"]) in t.index)
    assert gender.loc[expected["largest"], "Share flagged"] == expected["largest_share"]
    # A suppressed group is named, never given a figure.
    suppressed_rows = [
        row
        for table in tables
        if "People" in table.columns
        for _, row in table.iterrows()
        if row["People"] == "fewer than 10 people"
    ]
    assert expected["suppressed"] > 0  # the small extract has tiny groups
    assert len(suppressed_rows) == expected["suppressed"]
    for row in suppressed_rows:
        assert (row.drop("People") == "").all(), row
    assert not any((table == "nan").any(axis=None) for table in tables)


def test_review_page_of_a_deployed_run_says_it_cannot_be_deployed(
    deployed_project, storyboard_on
):
    # The fixture deployed every run: nothing is pending.
    storyboard_on(deployed_project)
    ((run_id, roc_auc),) = deployed_project.query(
        "select run_id, test_roc_auc from marts.dim_ml_runs "
        "where model_key = 'attrition' and is_shown"
    )
    app = run_page("review.py")
    assert app.selectbox(key="review_run").value == run_id
    _assert_review_matches(app, _review_expectations(deployed_project, run_id))
    infos = " ".join(info.value for info in app.info)
    assert "only pending runs can be deployed" in infos
    # BI showed nothing when run 1 was made: its own test results instead.
    assert "Nothing was deployed for this model when this run was made" in infos
    assert _metrics(app)["Test ROC AUC"] == f"{roc_auc:.3f}"
    assert not app.code  # no deploy command for a deployed run
    # No raw 32-character id in the page's headlines and captions.
    texts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any(run_id in text for text in texts)
    assert any(run_id[:12] in text for text in texts)


def test_review_page_compares_a_pending_run_with_the_shown_run(
    pending_project, storyboard_on
):
    project = pending_project
    storyboard_on(project)
    ((run_id,),) = project.query(
        "select run_id from marts.dim_ml_runs "
        "where model_key = 'attrition' and status = 'pending'"
    )
    comparison = {
        (split, metric): (candidate, compared)
        for split, metric, candidate, compared in project.query(
            "select split, metric, candidate_value, compared_value "
            f"from marts.fct_ml_run_comparison where run_id = '{run_id}'"
        )
    }
    ((shown_run,),) = project.query(
        "select shown_run_id from marts.dim_ml_models where model_key = 'attrition'"
    )
    app = run_page("review.py")
    assert app.selectbox(key="review_run").value == run_id  # the pending run
    expected = _review_expectations(project, run_id)
    _assert_review_matches(app, expected)
    assert expected["status"] == "pending"

    # The side-by-side: both runs on the same test rows.
    rows, _ = comparison[("test", "n_rows")]
    mine, theirs = comparison[("test", "roc_auc")]
    headline = next(m.value for m in app.markdown if "On the same" in m.value)
    assert f"On the same {rows:,.0f} people's outcomes" in headline
    assert f"ROC AUC {mine:.2f} vs {theirs:.2f}" in headline
    side_by_side = next(t for t in _tables(app) if "Run BI shows" in t.columns)
    auc = side_by_side.loc[next(i for i in side_by_side.index if "ROC AUC" in i)]
    assert (auc["This run"], auc["Run BI shows"]) == (f"{mine:.3f}", f"{theirs:.3f}")
    caught = side_by_side.loc["Share of leavers caught in the high band"]
    assert caught["This run"] == f"{comparison[('test', 'recall_high_band')][0]:.1%}"
    moved, _ = comparison[("predict", "moved_band")]
    people, _ = comparison[("predict", "n_rows")]
    sentence = next(m.value for m in app.markdown if "people predicted" in m.value)
    assert f"Of the {people:,.0f} people predicted" in sentence
    if moved:
        assert f"{moved:,.0f} would change risk band" in sentence
    # the band-move heatmap and one share-flagged chart per protected attribute
    assert len(app.get("vega_lite_chart")) == 1 + 3
    shown = _metrics(app)
    assert (
        shown["New among the drivers"]
        == f"{comparison[('drivers', 'n_gained')][0]:,.0f}"
    )
    assert shown["Effect flipped"] == f"{comparison[('drivers', 'n_flipped')][0]:,.0f}"
    captions = " ".join(c.value for c in app.caption)
    assert f"BI shows run `{shown_run[:12]}`" in captions

    # The gates, each with its verdict, then the command that deploys.
    gates = project.query(
        f"select gate_status from marts.fct_ml_run_gates where run_id = '{run_id}'"
    )
    badges = [m.value for m in app.markdown if "-badge[" in m.value]
    assert len(badges) == len(gates)
    override = " --override-gates" if expected["failed"] else ""
    assert (
        app.code[0].value == f'people-ml deploy {run_id[:12]}{override} --reason "..."'
    )


def test_review_page_shows_a_regression_run_with_its_own_test_results(
    pending_project, storyboard_on
):
    storyboard_on(pending_project)
    ((run_id, mae, r2),) = pending_project.query(
        "select run_id, test_mae, test_r2 from marts.dim_ml_runs "
        "where model_key = 'expected_pay'"
    )
    app = run_page("review.py")
    app.sidebar.selectbox(key="review_model").select("expected_pay").run()
    assert not app.exception, [item.value for item in app.exception]
    assert app.selectbox(key="review_run").value == run_id
    shown = _metrics(app)
    assert shown["Test MAE"] == f"{mae:,.0f}"
    assert shown["Test R²"] == f"{r2:.3f}"
    assert "only pending runs can be deployed" in " ".join(i.value for i in app.info)
    tables = _tables(app)
    assert any("Actual minus expected (mean)" in t.columns for t in tables)
    for table in tables:
        suppressed = table[table["People"] == "fewer than 10 people"]
        assert (suppressed.drop(columns="People") == "").all(axis=None)


# --- The Monitoring page -------------------------------------------------------

_MONITORED: dict[str, Project] = {}


def monitored_project_for(built: Project, tmp_path_factory) -> Project:
    """A project with outcomes, drift and alerts: built once per session.

    A copy of ``built_project`` (two pending runs) with both runs deployed
    and persisted, so the models are frozen; then two months on, with a
    department renamed, and one `dbt build`. The frozen models score the
    renamed department they never saw (a drift alert and an input issue);
    their scored runs pass the gates, so the system deploys them and BI
    shows them, with no outcomes yet, while the persisted run #1 has two
    months of outcomes. (``deployed_project`` retrains on the renamed data
    instead, so nothing would drift.) The browser test shares it (it imports
    this function), so the session builds it once.
    """
    if "project" not in _MONITORED:
        project = clone_project(built, tmp_path_factory.mktemp("monitored") / "p")
        for (run_id,) in project.query("select run_id from marts.dim_ml_runs"):
            completed = project.people_ml(
                "deploy",
                run_id,
                "--persist",
                "--override-gates",
                "--reason",
                "test fixture",
                "--by",
                "pytest",
            )
            assert completed.returncode == 0, completed.stdout + completed.stderr
        advanced = project.people_ml(
            "advance",
            "--months",
            "2",
            "--shock",
            "rename-department:Platform=Core Platform",
        )
        assert advanced.returncode == 0, advanced.stdout + advanced.stderr
        result = project.dbt("build")
        assert result.ok, result.output[-5000:]
        _MONITORED["project"] = project
    return _MONITORED["project"]


@pytest.fixture(scope="session")
def monitored_project(built_project: Project, tmp_path_factory) -> Project:
    return monitored_project_for(built_project, tmp_path_factory)


def _texts(app) -> list[str]:
    return [
        element.value
        for elements in (app.markdown, app.caption, app.error, app.info, app.success)
        for element in elements
    ]


def test_monitoring_page_shows_alerts_outcomes_drift_and_input_issues(
    monitored_project, storyboard_on
):
    project = monitored_project
    storyboard_on(project)
    alerts = dict(
        project.query(
            "select model_key, count(*) from marts.fct_ml_monitoring_alerts group by 1"
        )
    )
    # The frozen attrition model's newest scored run passed its gates, so the
    # system deployed it and BI shows it: too young for outcomes. The page
    # opens on the deployed run with the most months of them, run #1.
    ((shown_run, shown_date),) = project.query(
        "select run_id, predict_date from marts.dim_ml_runs "
        "where model_key = 'attrition' and is_shown and mode = 'scored'"
    )
    realized = {
        metric: (run_id, month, value, people, predict_date)
        for metric, run_id, month, value, people, predict_date in project.query(
            "select metric_name, run_id, months_since_prediction, metric_value, "
            "row_count, predict_date from marts.fct_ml_realized_performance "
            "where model_key = 'attrition' and is_latest_month and decile is null "
            "and months_since_prediction > 0"
        )
    }
    run_id, months, actual, people, predict_date = realized["actual_leavers_to_date"]
    expected = realized["expected_leavers_to_date"][2]
    ((feature, psi),) = project.query(
        "select feature, statistic_value from marts.fct_ml_feature_drift "
        "where model_key = 'attrition' and is_latest_run and statistic = 'psi' "
        "and feature != 'prediction' order by statistic_value desc limit 1"
    )
    ((unseen,),) = project.query(
        "select row_count from marts.fct_ml_input_issues where model_key = "
        "'attrition' and is_latest_run and feature = 'department_name' "
        "and issue = 'unseen_category'"
    )

    app = run_page("monitoring.py")
    shown = _metrics(app)
    # 1. The alerts: the frozen models see a department they never learned.
    assert alerts.get("attrition", 0) >= 1
    assert shown["Attrition model"] == (
        f"{alerts['attrition']} alert{'s' if alerts['attrition'] > 1 else ''}"
    )
    # The pay model alerts only on what its own features saw: the band
    # midpoints drift by design and are declared expected in its spec.
    pay_alerts = alerts.get("expected_pay", 0)
    assert shown["Expected pay model"] == (
        "No alerts"
        if not pay_alerts
        else f"{pay_alerts} alert{'s' if pay_alerts > 1 else ''}"
    )
    assert any("**Department** has shifted" in error.value for error in app.error)
    # 2. Expected against actual leavers for the shown run, two months on.
    assert months == 2
    assert app.selectbox(key="monitoring_outcome_run").value == run_id
    assert shown["Left so far"] == f"{actual:,.0f} ({actual / people:.1%})"
    assert shown["Expected by now"] == f"{expected:,.1f}"
    assert shown["Review gate"] == "0.65"
    texts = _texts(app)
    assert (
        f"predicted on {predict_date:%Y-%m-%d} who of {people:,} people would leave "
        "within 12 months; 2 of those 12 months have passed"
    ) in " ".join(texts)
    assert run_id != shown_run
    assert (
        f"BI shows run #2, which predicted on {shown_date:%Y-%m-%d}: too recent for "
        "any outcome yet (a frozen model's newest scored run is shown), so this "
        "opens on run #1, the deployed run with the most outcomes known (2 months)."
    ) in texts
    # the trend and the drill-down of the feature that moved most
    assert len(app.get("vega_lite_chart")) == 2
    # 3. Drift, largest PSI first; 4. the renamed department as unseen input.
    drift, issues = _tables(app)
    assert feature == "department_name"
    assert drift.index[0] == "Department"
    assert drift["PSI"].iloc[0] == f"{psi:.3f}"
    assert drift["Status"].iloc[0] == "Alert: above 0.25"
    values = [float(value) for value in drift["PSI"]]
    assert values == sorted(values, reverse=True)
    assert app.selectbox(key="monitoring_drift_feature").value == "department_name"
    department = issues.loc["Department"]
    assert department["Issue"] == "Values never seen in training"
    assert department["People"] == f"{unseen:,}"
    assert department["Examples"] == "Core Platform"
    assert not any((table == "nan").any(axis=None) for table in _tables(app))
    # No raw 32-character run id anywhere in the words.
    assert not any(run_id in text or shown_run in text for text in texts)

    # 5. The pay model: realized error and bias in money.
    ((mae, bias),) = project.query(
        "select max(metric_value) filter (where metric_name = 'mae'), "
        "max(metric_value) filter (where metric_name = 'bias') "
        "from marts.fct_ml_realized_performance "
        "where model_key = 'expected_pay' and is_shown_run"
    )
    app.sidebar.selectbox(key="model_key_any").select("expected_pay").run()
    assert not app.exception, [item.value for item in app.exception]
    shown = _metrics(app)
    assert shown["Realized MAE"] == f"{mae:,.0f}"
    assert shown["Bias (actual − expected)"] == f"{bias:+,.0f}"
    assert "Expected vs actual leavers" not in [h.value for h in app.header]
    assert any("Expected pay misses actual pay by" in m.value for m in app.markdown)
    # Drift the spec declares expected is shown as such, never as a warning.
    expected = [
        label
        for (label,) in project.query(
            "select feature_label from marts.fct_ml_feature_drift where model_key = "
            "'expected_pay' and is_latest_run and statistic = 'psi' "
            "and drift_status = 'expected'"
        )
    ]
    assert expected, "the band midpoints rose since training: expected drift"
    drift = _tables(app)[0]
    for label in expected:  # named as the spec labels them
        assert drift.loc[label, "Status"] == data.EXPECTED_DRIFT, drift


def test_monitoring_page_of_a_deployed_run_without_outcomes_says_when_they_come(
    deployed_project, storyboard_on
):
    # Just deployed: month 0 only, nobody has had time to leave.
    storyboard_on(deployed_project)
    alerts = dict(
        deployed_project.query(
            "select model_key, count(*) from marts.fct_ml_monitoring_alerts group by 1"
        )
    )
    ((predict_date,),) = deployed_project.query(
        "select predict_date from marts.dim_ml_runs "
        "where model_key = 'attrition' and is_shown"
    )
    app = run_page("monitoring.py")
    shown = _metrics(app)
    if not alerts.get("attrition"):
        assert shown["Attrition model"] == "No alerts"
        assert app.success
    infos = " ".join(info.value for info in app.info)
    assert (
        f"No outcomes yet: run #1 predicted on {predict_date:%Y-%m-%d} who would "
        "leave within 12 months"
    ) in infos
    assert "monitoring_outcome_run" not in [box.key for box in app.selectbox]
    assert "Left so far" not in shown
    # Drift of the run against its own training data is there all the same.
    assert "OK" in set(_tables(app)[0]["Status"])
    assert [h.value for h in app.header][:3] == [
        "Alerts firing now",
        "Expected vs actual leavers",
        "Has the workforce changed since the model learned?",
    ]
