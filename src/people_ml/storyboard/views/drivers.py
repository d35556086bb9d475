"""Drivers: what moves the predictions, in percentage points of risk (or in
the prediction's unit), with intervals, per-level effects and a beeswarm."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

marts = ui.load_marts()
model_key = ui.pick_model(marts, None, default="attrition", what="ML")
importance = data.importance_in_effects(marts, model_key)
classification = data.is_classification(marts, model_key)
summary_run = marts.shown_run_id(model_key)
unit = "percentage points of risk" if classification else "of the prediction"
axis = (
    "Effect on a person's risk (percentage points)"
    if classification
    else "Effect on the prediction"
)

risk = data.risk_summary(marts, model_key) if classification else None
if risk is not None and risk.horizon_months:
    window = data.months_text(risk.horizon_months)
    st.title(
        f"What drives the risk of leaving within {window} of "
        f"{data.format_date(risk.sample_date)}"
    )
else:
    st.title("What drives the predictions")
st.caption(
    f"{data.model_label(model_key)} model, run #{ui.run_number(marts, summary_run)} "
    f"(`{ui.short(summary_run)}`)."
)
st.markdown(
    (
        "**How to read the effects.** Each person's risk is split into one "
        "effect per feature: **+2 points** means that person's value of the "
        "feature takes their risk about 2 percentage points above an average "
        "person's (say from 8% to 10%); **-2 points** takes it below. "
        "Colours mean one thing on this page: "
        f"<span style='color:{charts.RAISES}'>**vermillion raises risk**</span>, "
        f"<span style='color:{charts.LOWERS}'>**blue lowers it**</span>. "
        "(The model works in odds; points are the same effect on the risk "
        "scale, so they are approximate for a calibrated model.)"
    )
    if classification
    else (
        "**How to read the effects.** Each prediction is split into one effect "
        "per feature, in the prediction's own unit: **+2,000** means the "
        "person's value of the feature puts their predicted value 2,000 above "
        "an average person's. "
        f"<span style='color:{charts.RAISES}'>**Vermillion raises it**</span>, "
        f"<span style='color:{charts.LOWERS}'>**blue lowers it**</span>."
    ),
    unsafe_allow_html=True,
)
if importance.empty:
    st.info("The shown run has no SHAP values.")
    st.stop()

labels = data.feature_labels(marts, model_key)
top = importance.iloc[0]
top_label = labels[str(top["feature"])]
st.markdown(
    f"#### Top driver: {top_label}\n"
    f"{top.get('feature_description') or ''} On average it moves a person's "
    f"prediction by {top['effect']:,.1f} {unit}; direction: {top['direction']}."
)
headline = st.columns(2)
headline[0].metric("Features explained", data.format_count(len(importance)))
headline[1].metric(
    "People explained", data.format_count(int(importance["entity_count"].max()))
)

st.altair_chart(
    charts.importance_bar(importance, axis=f"Average size of the effect ({unit})"),
    width="stretch",
)
st.caption(
    "The bar is the average size of a feature's effect over everyone predicted, "
    "whichever way it goes; the whisker its 95% interval. The colour is the "
    "direction where the data support one: higher values raise or lower the "
    "prediction, mixed when it depends on the level (see the effects by level "
    "below), unclear for weak drivers (under 2% of the total) or when the "
    "evidence is not clear of zero. These are patterns, not causes."
)

effects = marts.effects(model_key)
with_levels = list(dict.fromkeys(effects["feature"]))
if with_levels:
    default = "last_rating" if "last_rating" in with_levels else with_levels[0]
    feature = st.selectbox(
        "Effect by level of",
        with_levels,
        index=with_levels.index(default),
        format_func=labels.__getitem__,
        key="effects_feature",
    )
    min_size = ui.min_group_size()
    levels = data.level_effects_in_points(marts, model_key, effects)
    small = levels[(levels["feature"] == feature) & (levels["entity_count"] < min_size)]
    levels = levels[levels["entity_count"] >= min_size]
    st.altair_chart(
        charts.level_effects(
            levels,
            feature,
            title=f"Effect of {labels[feature].lower()} by level",
            axis=axis,
        ),
        width="stretch",
    )
    st.caption(
        "The average effect for the people at each level, with its 95% interval "
        "and head count. A rating whose lowest and highest levels both raise "
        "risk shows here, where a single direction cannot say it."
    )

shown = (
    st.slider(
        "Drivers in the beeswarm",
        min_value=1,
        max_value=len(importance),
        value=min(10, len(importance)),
        key="beeswarm_features",
    )
    if len(importance) > 1  # a slider needs a range
    else len(importance)
)
features = importance["feature"].head(shown).tolist()
people = data.sample_entities(
    marts.predictions(model_key)["worker_id"], data.BEESWARM_PEOPLE
)
drivers = data.with_effects(
    marts, model_key, marts.drivers(model_key, worker_ids=people, features=features)
)
points = data.beeswarm_points(drivers, features, max_points_per_feature=len(people))
points["feature_label"] = points["feature"].map(labels.__getitem__)
st.altair_chart(
    charts.beeswarm(points, [labels[f] for f in features], axis=axis),
    width="stretch",
)
st.caption(
    "Each dot is a person (at most 400, the same people on every row): right of "
    "the dashed line the feature raises their prediction, left of it lowers it. "
    "The dot's shade is the person's value of the feature among everyone: dark "
    "purple low, yellow high; grey for categories and missing values."
)
with st.expander("Importance table"):
    st.dataframe(
        ui.importance_table(importance, unit), hide_index=True, width="stretch"
    )
