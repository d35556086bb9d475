"""Overview: headcount, expected leavers and high-risk headcount, by org and level."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

ORG_LEVELS = {
    "Division": "division_name",
    "Department": "department_name",
    "Team": "team_name",
    "Region": "region",
}


def _level_order(level: str) -> tuple[int, str]:
    return (int(level), level) if level.isdigit() else (10**6, level)


marts = ui.load_marts()
model_key = ui.pick_model(
    marts, data.CLASSIFICATION, default="attrition", what="classification"
)
windows = data.horizons(marts, model_key)
horizon = None
if len(windows) > 1:
    labels = {data.months_text(h): h for h in windows}
    default = data.months_text(max(windows))
    picked = st.segmented_control(
        "Prediction window", list(labels), default=default, key="horizon"
    )
    horizon = labels[picked or default]
summary = data.risk_summary(marts, model_key, horizon)
predictions = data.at_horizon(marts, model_key, horizon)

st.title("Who might leave, and where")
as_of = data.format_date(summary.sample_date)
window = (
    f"within {data.months_text(summary.horizon_months)} of {as_of}"
    if summary.horizon_months
    else "within the model's horizon"
)
st.caption(
    f"Model `{model_key}`, run `{ui.short(summary.run_id)}`: employees active on "
    f"{as_of}. Expected leavers is the sum of everyone's predicted probability "
    f"of a voluntary exit {window}; high risk is the top of the risk ranking "
    "over the run's own window (see Drivers for why)."
)

headline = st.columns(4)
headline[0].metric("Headcount", data.format_count(summary.headcount))
headline[1].metric(
    f"Expected leavers {window.split(' of ')[0]}",
    data.format_decimal(summary.expected_leavers),
)
headline[2].metric(
    "High-risk headcount", data.format_count(summary.high_risk_headcount)
)
headline[3].metric("Average risk", data.format_share(summary.average_risk))

# A publication made before is_hris_worker: no org column holds anything.
hris = (
    predictions["is_hris_worker"].fillna(False).astype(bool)
    if "is_hris_worker" in predictions
    else predictions[[*ORG_LEVELS.values(), "job_level"]].notna().any(axis=1)
)
if not hris.any():
    # A model outside the HRIS (a flat export): its people are not HRIS
    # workers, so the marts hold no org unit or level for them.
    st.info(
        f"The people `{model_key}` predicts for are not workers of the HRIS "
        "extract (a flat export), so there is no breakdown by division or job "
        "level here. The run's review (Review page) slices it by the columns "
        "of its own spec."
    )
    st.altair_chart(charts.risk_band_bar(data.risk_bands(predictions)), width="stretch")
    st.stop()

level_label = st.segmented_control(
    "Org level", list(ORG_LEVELS), default="Division", key="org_level"
)
org_column = ORG_LEVELS[level_label or "Division"]
by_org = data.risk_by(predictions, org_column)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.risk_by_group(
        by_org, org_column, f"By {(level_label or 'Division').lower()}"
    ),
    width="stretch",
)
by_level = data.risk_by(predictions, "job_level")
right.altair_chart(
    charts.risk_by_group(
        by_level,
        "job_level",
        "By job level",
        sort=sorted(by_level["job_level"], key=_level_order),
    ),
    width="stretch",
)
right.altair_chart(charts.risk_band_bar(data.risk_bands(predictions)), width="stretch")

with st.expander("The numbers behind the charts"):
    st.dataframe(by_org, hide_index=True)
    st.dataframe(by_level, hide_index=True)
