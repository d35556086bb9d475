"""Drivers: global SHAP importance with its interval and direction, per-level
effects of ratings, levels and categories, and a beeswarm of the values."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

marts = ui.load_marts()
model_key = ui.pick_model(marts, None, default="attrition", what="ML")
importance = marts.importance(model_key)

st.title("What drives the predictions")
st.caption(
    f"Model `{model_key}`, run `{ui.short(marts.shown_run_id(model_key))}`. "
    "SHAP values split each prediction into one contribution per feature; the "
    "importance of a feature is its mean absolute contribution over everyone "
    "predicted; the whisker is its 95% interval (everyone predicted, "
    "resampled). Direction: whether higher values of the feature raise or lower "
    "the prediction, stated only where the data support it: mixed when it "
    "depends on the level (see the effects by level below), unclear for weak "
    "drivers (under 2% of the total importance) or when the evidence is not "
    "clear of zero."
)
if importance.empty:
    st.info("The shown run has no SHAP values.")
    st.stop()

top = importance.iloc[0]
headline = st.columns(3)
headline[0].metric("Top driver", str(top["feature"]), help=str(top["direction"]))
headline[1].metric("Features explained", data.format_count(len(importance)))
headline[2].metric(
    "People explained", data.format_count(int(importance["entity_count"].max()))
)

st.altair_chart(charts.importance_bar(importance), width="stretch")

effects = marts.effects(model_key)
with_levels = list(dict.fromkeys(effects["feature"]))
if with_levels:
    default = "last_rating" if "last_rating" in with_levels else with_levels[0]
    feature = st.selectbox(
        "Effect by level of",
        with_levels,
        index=with_levels.index(default),
        key="effects_feature",
    )
    st.altair_chart(charts.level_effects(effects, feature), width="stretch")
    st.caption(
        "The mean SHAP value of the people at each level of the feature, with its "
        "95% interval: right of the dashed line the level raises the prediction "
        "against the average, left of it lowers it. A rating whose lowest and "
        "highest levels both raise it shows here, where a single direction "
        "cannot say it."
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
drivers = marts.drivers(model_key, worker_ids=people, features=features)
points = data.beeswarm_points(drivers, features, max_points_per_feature=len(people))
st.altair_chart(charts.beeswarm(points, features), width="stretch")
st.caption(
    "Each dot is a person (at most 400, the same people on every row). Right of "
    "the dashed line the feature raises the prediction, left of it lowers it. "
    "Colour: the person's value of the feature, red high and blue low; grey for "
    "categories and missing values."
)
with st.expander("Importance table"):
    st.dataframe(importance.drop(columns=["feature_importance_id"]), hide_index=True)
