"""People: one person's risk, why, what if something changed, and their risk
across runs. Only for readers whose role may see people, and only the people
of the org units they may see (storyboard.access, enforced in the data layer).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from people_ml.ml import format_value
from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data, whatif

NAME_ACCESS_NOTE = (
    "**Access to name-level data.** The marts carry worker ids, never names: "
    "matching an id to a person takes the HRIS worker record, whose access rules "
    "apply. Individual risk is for those entitled to it (HR business partners, "
    "people analysts); it is an estimate for a conversation, not a verdict, and "
    "should not reach the person's manager without HR's review."
)

PEOPLE_LISTED = 300

marts = ui.load_marts()
reader = ui.reader()
model_key = ui.pick_model(
    marts, data.CLASSIFICATION, default="attrition", what="classification"
)
try:
    everyone = reader.people(marts, model_key).sort_values(
        ["prediction", "worker_id"], ascending=[False, True]
    )
except ui.AccessDenied as denied:
    st.title("A person's risk and why")
    st.warning(str(denied))
    st.stop()

st.title("A person's risk and why")
st.info(NAME_ACCESS_NOTE)
if reader.scope_note:
    st.caption(reader.scope_note)

predictions = everyone
divisions = ["All divisions", *sorted(everyone["division_name"].dropna().unique())]
left, right = st.columns([2, 1])
division = left.selectbox("Division", divisions, key="person_division")
lookup = right.text_input("Or look up a worker id", key="person_lookup").strip()
if division != "All divisions":
    predictions = predictions[predictions["division_name"] == division]
if lookup:
    predictions = everyone[everyone["worker_id"] == lookup]
    if predictions.empty:
        st.warning(
            f"No prediction for worker id {lookup!r} in the shown run"
            + (" among the people you may see." if reader.scope_note else ".")
        )
        st.stop()
    worker_id = lookup
else:
    # The riskiest few hundred: a list of every employee would not help anyone.
    listed = predictions.head(PEOPLE_LISTED)
    labels = {
        row.worker_id: f"{row.worker_id} · {row.department_name} · "
        f"level {row.job_level} · {row.prediction:.0%}"
        for row in listed.itertuples()
    }
    worker_id = st.selectbox(
        f"Person (the {len(labels):,} at highest risk; look up anyone by id)",
        list(labels),
        format_func=labels.get,
        key="person_worker_id",
    )
if worker_id is None:
    st.stop()
person = predictions[predictions["worker_id"] == worker_id].iloc[0]
window = (
    data.months_text(int(person["horizon_months"]))
    if pd.notna(person.get("horizon_months"))
    else "the model's horizon"
)
as_of = data.format_date(person["sample_date"])

headline = st.columns(3)
headline[0].metric(
    "Predicted risk",
    data.format_share(person["prediction"]),
    help=f"The model's chance that this person resigns within {window} of {as_of}.",
)
headline[1].metric("Risk band", str(person["risk_band"]).capitalize())
headline[2].metric(
    "Riskier than",
    data.percentile_text(person["prediction_percentile"]),
    help="The share of the employees predicted whose risk is lower.",
)
st.caption(
    f"Risk of resigning within {window} of {as_of}. "
    f"{person['job_family']} · level {person['job_level']} · "
    f"{person['team_name']}, {person['department_name']}, {person['division_name']} "
    f"· {person['location_name']} · manager {person['manager_worker_id']}"
)

drivers = reader.person_drivers(marts, model_key, worker_id)
shown = (
    st.slider("Drivers shown", 1, len(drivers), min(8, len(drivers)), key="person_n")
    if len(drivers) > 1  # a slider needs a range
    else len(drivers)
)
axis = "Effect on this person's risk (percentage points)"
st.altair_chart(
    charts.person_drivers_bar(drivers.head(shown), axis=axis), width="stretch"
)
top = drivers[drivers["is_top_driver"]]
st.markdown(
    "**Top drivers:** "
    + "; ".join(
        f"{row.feature_label}: {row.display_value} ({row.direction} risk by "
        f"{abs(row.effect):.1f} points)"
        for row in top.itertuples()
    )
)

st.header("What if something changed?")
st.caption(whatif.CORRELATIONAL_NOTE)
try:
    model = ui.shown_model(marts, model_key)
except whatif.WhatIfError as error:
    st.warning(str(error))
    model = None
if model is not None:
    row = reader.feature_rows(marts, model, [worker_id])
    units = data.feature_units(marts, model_key)
    names = data.feature_labels(marts, model_key)
    with st.form("what_if"):
        st.markdown(
            "Change one or more of this person's features, then rescore. For "
            "example: pay to the band midpoint (pay against band midpoint 1.00), "
            "a promotion (time since last promotion 0), a new manager (one more "
            "manager change), a different rating."
        )
        columns = st.columns(2)
        changes: dict[str, object] = {}
        for index, feature in enumerate(row.columns.drop(model.sample_date)):
            current = row.iloc[0][feature]
            value = ui.feature_input(
                columns[index % 2],
                model.feature(feature),
                names[feature],
                units.get(feature, "number"),
                current,
                key=f"what_if_{feature}",
            )
            if not ui.same_value(value, current):
                changes[feature] = value
        submitted = st.form_submit_button("Rescore with the changes")
    if submitted and not changes:
        st.info("Nothing changed: set a feature to a new value first.")
    elif submitted:
        result = whatif.what_if(
            model,
            row,
            changes,
            published=float(person["prediction"]),
            classification=True,
        )
        figures = st.columns(3)
        figures[0].metric("Risk now", data.format_share(result.before))
        figures[1].metric(
            "Risk after the change",
            data.format_share(result.after),
            f"{100 * (result.after - result.before):+.1f} points",
            delta_color="inverse",
        )
        figures[2].markdown(
            "**Changed**\n\n"
            + "\n".join(
                f"- {names[f]}: "
                f"{format_value(row.iloc[0][f], units.get(f, 'number'))} → "
                f"{format_value(v, units.get(f, 'number'))}"
                for f, v in changes.items()
            )
        )

        def written(column: str) -> list[str]:
            return [
                format_value(value, units.get(feature, "number"))
                for value, feature in zip(
                    result.drivers[column], result.drivers["feature"], strict=True
                )
            ]

        table = result.drivers.assign(
            Feature=result.drivers["feature"].map(lambda f: names[f]),
            Before=written("value_before"),
            After=written("value_after"),
        )
        st.altair_chart(charts.what_if_drivers(table, axis=axis), width="stretch")
        st.caption(
            f"Rescored with run {ui.short(model.run_id)}'s own model (its pickle, "
            "verified before loading), and every driver recomputed: an unchanged "
            "feature's effect in points moves too, because a point is worth more "
            "or less at a different level of risk. " + whatif.CORRELATIONAL_NOTE
        )

history = reader.person_history(marts, model_key, worker_id)
if len(history) > 1:
    st.altair_chart(charts.history_line(history), width="stretch")
else:
    st.caption("One deployed run so far: risk across runs appears after the next.")
