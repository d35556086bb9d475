"""Levers: what if a group's feature were moved, say pay raised to a floor?

Rescores everyone in the group with the shown run's verified pickle
(storyboard.whatif); shows totals only, and none for fewer people than the
minimum group size. Only for readers who may see people, over the divisions
they may see: two floors a person apart would otherwise tell one person's
risk and pay by their difference.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from people_ml.ml import format_value
from people_ml.storyboard import _common as ui
from people_ml.storyboard import data, whatif

marts = ui.load_marts()
reader = ui.reader()
model_key = ui.pick_model(
    marts, data.CLASSIFICATION, default="attrition", what="classification"
)
min_size = ui.min_group_size()
summary = data.risk_summary(marts, model_key)
window = (
    data.months_text(summary.horizon_months)
    if summary.horizon_months
    else "the model's horizon"
)
st.title("What if we pulled a lever?")
st.caption(
    f"{data.model_label(model_key)} model, run "
    f"#{ui.run_number(marts, summary.run_id)} (`{ui.short(summary.run_id)}`): "
    f"expected leavers within {window} of {data.format_date(summary.sample_date)}, "
    "before and after moving one feature for everyone in a group."
)
st.warning(whatif.CORRELATIONAL_NOTE)
try:
    predictions = reader.people(marts, model_key)
except ui.AccessDenied as denied:
    st.info(
        f"{denied} A lever's totals, a person apart, tell that person's risk, so "
        "levers are for the same readers."
    )
    st.stop()
if reader.scope_note:
    st.caption(reader.scope_note)
try:
    model = ui.shown_model(marts, model_key)
except whatif.WhatIfError as error:
    st.error(str(error))
    st.stop()

labels = data.feature_labels(marts, model_key)
units = data.feature_units(marts, model_key)
numeric = [
    f.name
    for f in model.schema
    if f.kind == "numeric" and f.name in labels and units.get(f.name) != "flag"
]
if not numeric:
    st.info("The shown run's model has no numeric feature to move.")
    st.stop()
divisions = ["Everyone", *sorted(predictions["division_name"].dropna().unique())]
with st.form("lever"):
    left, right = st.columns(2)
    group = left.selectbox("Group", divisions, key="lever_group")
    default = "compa_ratio" if "compa_ratio" in numeric else numeric[0]
    feature = right.selectbox(
        "Feature",
        numeric,
        index=numeric.index(default),
        format_func=labels.__getitem__,
        key="lever_feature",
    )
    unit = units.get(feature, "number")
    floor = st.number_input(
        "Raise everyone below this value to it",
        value=0.9 if feature == "compa_ratio" else 0.0,
        step=0.01 if unit in {"ratio", "percent"} else 1.0,
        key="lever_floor",
    )
    submitted = st.form_submit_button("Simulate")
if not submitted:
    st.caption(
        "Pick a group, a feature and a floor, then simulate: for example pay "
        "against band midpoint raised to 0.90 for everyone below it."
    )
    st.stop()

people = (
    predictions
    if group == "Everyone"
    else predictions[predictions["division_name"] == group]
)
with st.spinner(f"Rescoring {len(people):,} people with the shown run's model…"):
    rows = reader.feature_rows(marts, model, list(people["worker_id"]))
    salary = whatif.salaries(marts) if feature in whatif.PAY_RATIO_FEATURES else None
    result = whatif.lever(model, rows, feature, below=floor, to=floor, salary=salary)
if result.changed < min_size:
    st.info(
        f"Fewer than {min_size} people in the group have "
        f"{labels[feature].lower()} below "
        f"{format_value(floor, unit)}: the result is not shown (too few to be "
        "reliable, and close to individual data)."
    )
    st.stop()
name = labels[feature]
st.subheader(
    f"{name} raised to {format_value(floor, unit)} for "
    f"{result.changed:,} of {result.people:,} people"
    + ("" if group == "Everyone" else f" in {group}")
)
figures = st.columns(3)
figures[0].metric(
    f"Expected leavers within {window}, now",
    data.format_decimal(result.expected_before),
)
figures[1].metric(
    "With the lever",
    data.format_decimal(result.expected_after),
    f"{result.expected_after - result.expected_before:+,.1f}",
    delta_color="inverse",
)
if result.cost is not None:
    figures[2].metric(
        "Yearly cost of the rises",
        data.format_money(result.cost),
        help="Each changed person's base salary times (floor / their value - 1), "
        "from the expected-pay mart's actual salaries.",
    )
else:
    figures[2].metric("People changed", data.format_count(result.changed))
fewer = result.expected_before - result.expected_after
sentence = (
    f"The model expects {data.format_decimal(result.expected_before)} of these "
    f"{result.people:,} people to leave within {window}; with the lever, "
    f"{data.format_decimal(result.expected_after)}"
)
if result.cost is not None and fewer > 0:
    sentence += (
        f": about {data.format_money(result.cost / fewer)} a year per expected "
        "leaver fewer"
    )
st.markdown(sentence + ".")
changed = result.risks[result.risks["before"] != result.risks["after"]]
st.caption(
    f"Risk of the {len(changed):,} people changed: on average "
    f"{pd.Series(changed['before']).mean():.1%} now, "
    f"{pd.Series(changed['after']).mean():.1%} with the lever. "
    "Rescored with the shown run's own model (its pickle, verified before "
    "loading)."
)
