"""What-if, levers and who may see whom, on a real built and deployed project.

The what-if and the lever rescore with the shown run's verified pickle; both
must equal the library's own scoring (people_ml.ml.predict_with_run) of the
warehouse's rows with the same change. A reader restricted to one division
must not get another division's person, through the page or the data layer.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import Project, run_page

from people_ml.ml import MLModelSpec, load_artifact, predict_with_run
from people_ml.publish import open_publication, read_publication
from people_ml.storyboard import access, whatif
from people_ml.storyboard.data import Marts

pytestmark = pytest.mark.dbt
pytest.importorskip("streamlit")

SALES_PARTNER = "hrbp.sales@example.com"
LEADER = "leader@example.com"


def _marts(project: Project) -> Marts:
    publication = open_publication(project.root / "published")
    return Marts(read_publication(publication.directory))


def _library(project: Project, marts: Marts) -> tuple[whatif.RunModel, MLModelSpec]:
    model = whatif.run_model(marts, "attrition", project.root / "artifacts/models")
    artifact = load_artifact(
        model.artifact_dir / model.artifact_path,
        model.artifact_sha256,
        model.run_id,
        model_key="attrition",
    )
    return model, MLModelSpec.from_config(artifact.spec)


def _warehouse_rows(project: Project, worker_ids: list[str]) -> pd.DataFrame:
    """The attrition frame's predict rows, as the run model read them."""
    with duckdb.connect(
        str(project.root / "warehouse/people_ml.duckdb"), read_only=True
    ) as con:
        frame = con.execute(
            "select * from intermediate.int_attrition_person_months_labelled "
            "where sample_date = (select max(sample_date) from "
            "intermediate.int_attrition_person_months_labelled) "
            "and list_contains(?::varchar[], worker_id)",
            [worker_ids],
        ).df()
    return frame.set_index("worker_id").loc[worker_ids]


def _score(model: whatif.RunModel, spec: MLModelSpec, rows: pd.DataFrame) -> np.ndarray:
    return predict_with_run(
        rows,
        spec,
        artifact_dir=model.artifact_dir,
        artifact_path=model.artifact_path,
        artifact_sha256=model.artifact_sha256,
        run_id=model.run_id,
        model_key="attrition",
    ).prediction


def test_what_if_risk_equals_library_scoring_of_the_modified_row(
    deployed_project, storyboard_on
):
    storyboard_on(deployed_project)
    marts = _marts(deployed_project)
    model, spec = _library(deployed_project, marts)
    person = (
        marts.predictions("attrition")
        .sort_values(["prediction", "worker_id"], ascending=[False, True])
        .iloc[0]
    )
    worker = str(person["worker_id"])
    original = _warehouse_rows(deployed_project, [worker])
    # The warehouse row scores to the published prediction...
    assert _score(model, spec, original)[0] == pytest.approx(
        person["prediction"], abs=1e-12
    )
    changed = original.assign(compa_ratio=1.0, months_since_promotion=0.0)
    expected = float(_score(model, spec, changed)[0])
    assert expected != pytest.approx(float(person["prediction"]), abs=1e-4)

    # ...and the what-if, from the published drivers, to the same numbers.
    rows = whatif.feature_rows(marts, model, [worker])
    result = whatif.what_if(
        model,
        rows,
        {"compa_ratio": 1.0, "months_since_promotion": 0.0},
        published=float(person["prediction"]),
    )
    assert result.before == pytest.approx(float(person["prediction"]), abs=1e-9)
    assert result.after == pytest.approx(expected, abs=1e-9)
    changed_drivers = set(result.drivers.loc[result.drivers["is_changed"], "feature"])
    assert changed_drivers == {"compa_ratio", "months_since_promotion"}
    assert (result.drivers["effect_before"] != result.drivers["effect_after"]).any()

    # Through the page: the same person, the same change, the same risk.
    app = run_page("people.py")
    assert app.selectbox(key="person_worker_id").value == worker
    app.number_input(key="what_if_compa_ratio").set_value(1.0)
    app.number_input(key="what_if_months_since_promotion").set_value(0.0)
    next(b for b in app.get("button") if "Rescore" in b.label).click()
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Risk after the change"] == f"{expected:.1%}"
    assert metrics["Risk now"] == f"{person['prediction']:.1%}"
    assert any("correlational, not causal" in c.value for c in app.caption)


def test_a_lever_equals_rescoring_the_group(deployed_project, storyboard_on):
    storyboard_on(deployed_project)
    marts = _marts(deployed_project)
    model, spec = _library(deployed_project, marts)
    predictions = marts.predictions("attrition")
    workers = sorted(predictions["worker_id"].astype(str))
    original = _warehouse_rows(deployed_project, workers)
    raised = original.assign(
        compa_ratio=np.where(
            original["compa_ratio"] < 0.9, 0.9, original["compa_ratio"]
        )
    )
    expected_after = float(_score(model, spec, raised).sum())
    touched = int((original["compa_ratio"] < 0.9).sum())
    assert touched >= 10

    rows = whatif.feature_rows(marts, model, workers)
    salary = whatif.salaries(marts)
    result = whatif.lever(model, rows, "compa_ratio", below=0.9, to=0.9, salary=salary)
    assert result.changed == touched
    assert result.expected_before == pytest.approx(
        predictions["prediction"].sum(), rel=1e-9
    )
    assert result.expected_after == pytest.approx(expected_after, rel=1e-9)
    assert result.expected_after < result.expected_before
    cost = (
        salary.reindex(rows.index[rows["compa_ratio"] < 0.9])
        * (0.9 / rows.loc[rows["compa_ratio"] < 0.9, "compa_ratio"] - 1)
    ).sum()
    assert result.cost == pytest.approx(float(cost))

    app = run_page("levers.py")
    next(b for b in app.get("button") if b.label == "Simulate").click()
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["With the lever"] == f"{expected_after:,.1f}"
    assert metrics["Yearly cost of the rises"] == f"{cost:,.0f}"


def test_a_reader_of_one_division_cannot_get_another_divisions_person(
    deployed_project, storyboard_on
):
    marts = _marts(deployed_project)
    grants = access.load_grants(deployed_project.root / access.ACCESS_FILE)
    partner = access.reader_for(SALES_PARTNER, grants)
    everyone = marts.predictions("attrition")
    outsider = str(
        everyone.loc[everyone["division_name"] != "Sales", "worker_id"].iloc[0]
    )
    insider = str(
        everyone.loc[everyone["division_name"] == "Sales", "worker_id"].iloc[0]
    )

    # The data layer: only Sales, and a refusal for anyone else.
    seen = partner.people(marts, "attrition")
    assert set(seen["division_name"]) == {"Sales"}
    assert len(seen) == int((everyone["division_name"] == "Sales").sum())
    assert not partner.person_drivers(marts, "attrition", insider).empty
    model = whatif.run_model(
        marts, "attrition", deployed_project.root / "artifacts/models"
    )
    for attempt in (
        lambda: partner.person_drivers(marts, "attrition", outsider),
        lambda: partner.person_history(marts, "attrition", outsider),
        lambda: partner.feature_rows(marts, model, [outsider]),
    ):
        with pytest.raises(access.AccessDenied, match=outsider):
            attempt()
    assert set(partner.pay(marts)["division_name"]) == {"Sales"}

    # The page: the list holds Sales only; looking the outsider up finds no one.
    storyboard_on(deployed_project, reader=SALES_PARTNER)
    app = run_page("people.py")
    assert app.selectbox(key="person_division").options == ["All divisions", "Sales"]
    listed = app.selectbox(key="person_worker_id").options
    sales = set(seen["worker_id"].astype(str))
    assert listed and all(option.split(" · ")[0] in sales for option in listed)
    app.text_input(key="person_lookup").input(outsider).run()
    assert "among the people you may see" in app.warning[0].value
    assert not app.metric
    assert any(SALES_PARTNER in c.value for c in app.sidebar.caption)


def test_a_viewer_sees_group_figures_but_no_person(deployed_project, storyboard_on):
    storyboard_on(deployed_project, reader=LEADER)
    people = run_page("people.py")
    assert "group figures, not individual people" in people.warning[0].value
    assert not people.metric
    pay = run_page("expected_pay.py")
    assert not [d for d in pay.dataframe if "Worker" in d.value.columns]
    assert any("Individual salaries are for readers" in c.value for c in pay.caption)
    levers = run_page("levers.py")
    assert "levers are for the same readers" in levers.info[0].value
    assert not levers.metric
    overview = run_page("overview.py")
    assert {m.label for m in overview.metric} >= {"Headcount", "Expected leavers"}
    # A signed-in reader the seed does not list is a viewer too.
    marts = _marts(deployed_project)
    stranger = access.reader_for("someone@elsewhere.example", {})
    with pytest.raises(access.AccessDenied):
        stranger.people(marts, "attrition")
