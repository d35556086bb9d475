"""Overview: who might leave within the prediction window, where, and how far
the model can be trusted (its test period in plain words, expected vs actual)."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

ORG_LEVELS = {
    "Division": ("division_name", "divisions"),
    "Department": ("department_name", "departments"),
    "Team": ("team_name", "teams"),
    "Region": ("region", "regions"),
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
min_size = ui.min_group_size()

as_of = data.format_date(summary.sample_date)
window = data.months_text(summary.horizon_months) if summary.horizon_months else ""
within = f"within {window}" if window else "within the model's horizon"
st.title(f"Who might leave {within} of {as_of}, and where")
run_number = ui.run_number(marts, summary.run_id)
st.caption(
    f"{data.model_label(model_key)} model, run #{run_number} "
    f"(`{ui.short(summary.run_id)}`): the {data.format_count(summary.headcount)} "
    f"employees active on {as_of}. A person's risk is the model's chance that "
    f"they resign {within}; expected leavers add everyone's risk up. High risk "
    "is the top of the risk ranking (see Drivers for why)."
)

headline = st.columns(4)
headline[0].metric("Headcount", data.format_count(summary.headcount))
headline[1].metric(
    "Expected leavers",
    data.format_decimal(summary.expected_leavers),
    help=f"The sum of everyone's predicted chance of resigning {within}.",
)
headline[2].metric(
    "Expected leaver rate",
    data.format_share(summary.average_risk),
    help="Expected leavers as a share of headcount (the average risk).",
)
headline[3].metric(
    "High-risk headcount",
    data.format_count(summary.high_risk_headcount),
    f"{summary.high_risk_headcount / max(summary.headcount, 1):.1%} of headcount",
    delta_color="off",
    delta_arrow="off",
)

quality = data.model_quality(marts, model_key)
with st.container(border=True):
    st.markdown("**How far to trust these numbers**")
    if quality is None:
        st.markdown(
            "The shown run has no test period, so there is no evidence yet of "
            "how right it is."
        )
    else:
        st.markdown("\n".join(f"- {line}" for line in data.quality_sentences(quality)))
    st.page_link(
        "views/runs.py",
        label=f"Run #{run_number} in full: every metric, the data it learned from",
        icon=":material/arrow_forward:",
    )
    st.caption(
        "The model finds patterns that went with leaving in the past; it does "
        "not say what causes anyone to leave."
    )

ui.expected_vs_actual(marts, model_key)

# A publication made before is_hris_worker: no org column holds anything.
hris = (
    predictions["is_hris_worker"].fillna(False).astype(bool)
    if "is_hris_worker" in predictions
    else predictions[[column for column, _ in ORG_LEVELS.values()]].notna().any(axis=1)
)
if not hris.any():
    # A model outside the HRIS (a flat export): its people are not HRIS
    # workers, so the marts hold no org unit or level for them.
    st.info(
        f"The people the {data.model_label(model_key).lower()} model predicts "
        "for are not workers of the HRIS extract (a flat export), so there is "
        "no breakdown by division or job level here. The run's review (Review "
        "page) slices it by the columns of its own spec."
    )
    st.altair_chart(charts.risk_band_bar(data.risk_bands(predictions)), width="stretch")
    st.stop()

st.subheader(f"Where: the share expected to leave {within}")
level_label = st.segmented_control(
    "Org level", list(ORG_LEVELS), default="Division", key="org_level"
)
org_column, plural = ORG_LEVELS[level_label or "Division"]
by_org = data.risk_by(predictions, org_column, min_size=min_size)
by_level = data.risk_by(predictions, "job_level", min_size=min_size)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.risk_by_group(
        by_org.table,
        org_column,
        f"By {(level_label or 'Division').lower()}",
        window=window or "the window",
    ),
    width="stretch",
)
right.altair_chart(
    charts.risk_by_group(
        by_level.table,
        "job_level",
        "By job level",
        window=window or "the window",
        sort=sorted(by_level.table["job_level"], key=_level_order),
    ),
    width="stretch",
)
right.altair_chart(charts.risk_band_bar(data.risk_bands(predictions)), width="stretch")
notes = [note for note in (by_org.note(plural), by_level.note("job levels")) if note]
st.caption(
    f"Bars are rates: a large {(level_label or 'division').lower()} is not "
    "worse for having more expected leavers. Groups of fewer than "
    f"{min_size} people are never shown on their own. " + " ".join(notes)
)

with st.expander("The numbers behind the charts"):
    st.dataframe(
        ui.group_table(by_org.table, org_column, level_label or "Division"),
        hide_index=True,
        width="stretch",
    )
    st.dataframe(
        ui.group_table(by_level.table, "job_level", "Job level"),
        hide_index=True,
        width="stretch",
    )
