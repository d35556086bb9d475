"""People: one person's risk, their top drivers and their risk across runs."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

NAME_ACCESS_NOTE = (
    "**Access to name-level data.** The marts carry worker ids, never names: "
    "matching an id to a person takes the HRIS worker record, whose access rules "
    "apply. Individual risk is for those entitled to it (HR business partners, "
    "people analysts); it is an estimate for a conversation, not a verdict, and "
    "should not reach the person's manager without HR's review."
)

PEOPLE_LISTED = 300

marts = ui.load_marts()
model_key = ui.pick_model(
    marts, data.CLASSIFICATION, default="attrition", what="classification"
)
predictions = marts.predictions(model_key).sort_values(
    ["prediction", "worker_id"], ascending=[False, True]
)

st.title("A person's risk and why")
st.info(NAME_ACCESS_NOTE)

everyone = predictions
divisions = ["All divisions", *sorted(predictions["division_name"].dropna().unique())]
left, right = st.columns([2, 1])
division = left.selectbox("Division", divisions, key="person_division")
lookup = right.text_input("Or look up a worker id", key="person_lookup").strip()
if division != "All divisions":
    predictions = predictions[predictions["division_name"] == division]
if lookup:
    predictions = everyone[everyone["worker_id"] == lookup]
    if predictions.empty:
        st.warning(f"No prediction for worker id {lookup!r} in the shown run.")
        st.stop()
    worker_id = lookup
else:
    # The riskiest few hundred: a list of every employee would not help anyone.
    listed = predictions.head(PEOPLE_LISTED)
    labels = {
        row.worker_id: f"{row.worker_id} · {row.department_name} · "
        f"{row.job_level} · {row.prediction:.0%}"
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

headline = st.columns(3)
headline[0].metric("Predicted risk", data.format_share(person["prediction"]))
headline[1].metric("Risk band", str(person["risk_band"]))
headline[2].metric("Percentile", data.format_share(person["prediction_percentile"]))
st.caption(
    f"{person['job_family']} · level {person['job_level']} · "
    f"{person['team_name']}, {person['department_name']}, {person['division_name']} "
    f"· {person['location_name']} · manager {person['manager_worker_id']}"
)

drivers = data.person_drivers(marts, model_key, worker_id)
shown = (
    st.slider("Drivers shown", 1, len(drivers), min(8, len(drivers)), key="person_n")
    if len(drivers) > 1  # a slider needs a range
    else len(drivers)
)
st.altair_chart(charts.person_drivers_bar(drivers.head(shown)), width="stretch")
top = drivers[drivers["is_top_driver"]]
st.markdown(
    "**Top drivers:** "
    + "; ".join(
        f"{row.feature} = {row.display_value} ({row.direction} risk)"
        for row in top.itertuples()
    )
)

history = data.person_history(marts, model_key, worker_id)
if len(history) > 1:
    st.altair_chart(charts.history_line(history), width="stretch")
else:
    st.caption("One deployed run so far: risk across runs appears after the next.")
