"""Review: should this pending run be deployed? Side by side, fairness, gates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

BADGE_COLOURS = {
    "pass": "green",
    "warn": "orange",
    "fail": "red",
    "not_applicable": "gray",
}
SLICE_HELP = (
    "The same figures for org slices (not protected, but a model that flags "
    "one division far more than another deserves a look)."
)


def _escape(text: str) -> str:
    """Gate messages are plain text: keep Markdown from reading them."""
    for character in ("\\", "*", "_", "[", "]", "$", "~", "`"):
        text = text.replace(character, f"\\{character}")
    return text


def _run_label(run_id: str) -> str:
    record = data.run_record(marts, run_id)
    if record is None:
        return ui.short(run_id)
    shown = " · shown now" if bool(record["is_shown"]) else ""
    return (
        f"{ui.short(run_id)} · #{record['run_number']} · {record['status']}{shown} · "
        f"made {data.format_date(record['created_at'])}"
    )


def _group_tables(groups: pd.DataFrame, attribute: str, problem_type: str) -> None:
    for split, split_label in data.SPLITS.items():
        table = data.fairness_table(groups, attribute, split, problem_type)
        if table.empty:
            continue
        st.caption(split_label)
        st.table(table.set_index("Group"))


marts = ui.load_marts()
models = data.review_models(marts)
st.title("Review a run before it is deployed")
if not models:
    st.info("No runs yet: `dbt build` trains the first, as a pending run.")
    st.stop()
model_key = (
    models[0]
    if len(models) == 1
    else st.sidebar.selectbox("ML model", models, index=0, key="review_model")
)
run_ids = data.review_run_ids(marts, model_key)
run_id = st.selectbox(
    "Run to review (pending runs first)",
    run_ids,
    format_func=_run_label,
    key="review_run",
)
run = data.review_run(marts, run_id)
comparison = data.run_comparison(marts, run_id)
groups = data.subgroups(marts, run_id)
gates = data.run_gates(marts, run_id)

shown_now = (
    f"BI shows run `{ui.short(run.shown_run_id)}` (#{run.shown_run_number}) now."
    if run.shown_run_id
    else "BI shows no run of this model yet."
)
st.caption(
    f"Run `{ui.short(run.run_id)}` of `{run.model_key}` (#{run.run_number}, made "
    f"{data.format_date(run.created_at)}) predicts "
    f"{data.format_count(run.n_predict_rows)} people as of "
    f"{data.format_date(run.predict_date)}, tested on the outcomes known at "
    f"{data.format_date(run.test_date)}. {shown_now}"
)
if not run.is_pending:
    now = " and BI shows it now" if run.is_shown else ""
    st.info(
        f"This run is {run.status}{now}, not pending: only pending runs can be "
        "deployed. Below is the review recorded when it was made."
    )

headline = st.columns(4)
headline[0].metric("Status", run.status.capitalize())
headline[1].metric("Gates failed", data.format_count(run.failed_gate_count))
headline[2].metric("Gates warned", data.format_count(run.warned_gate_count))
headline[3].metric(
    "Gates passed",
    data.format_count(int((gates["gate_status"] == "pass").sum())),
    help="Of the gates of this model's review policy; not applicable ones "
    "(e.g. nothing shown to compare with) are not counted.",
)

st.header("Compared with what BI shows now")
if comparison.empty:
    if run.shown_run_id is None:
        st.info("Nothing is deployed yet for this model: this run's own test results.")
    else:
        st.info(
            "Nothing was deployed for this model when this run was made, so there "
            "is no side-by-side: this run's own test results."
        )
    record = data.run_record(marts, run_id)
    own = st.columns(4)
    own[0].metric(
        "People with known outcomes", data.format_count(record["n_test_rows"])
    )
    if run.problem_type == data.CLASSIFICATION:
        for column, (label, name) in zip(
            own[1:],
            [
                ("Test ROC AUC", "test_roc_auc"),
                ("Test PR AUC", "test_pr_auc"),
                ("Test F1 (leavers)", "test_f1_positive_class"),
            ],
            strict=True,
        ):
            value = record[name]
            column.metric(label, "n/a" if pd.isna(value) else f"{value:.3f}")
    else:
        own[1].metric("Test MAE", data.format_money(record["test_mae"]))
        own[2].metric("Test RMSE", data.format_money(record["test_rmse"]))
        r2 = record["test_r2"]
        own[3].metric("Test R²", "n/a" if pd.isna(r2) else f"{r2:.3f}")
else:
    compared = str(comparison["compared_run_id"].iloc[0])
    note = (
        ""
        if compared == run.shown_run_id
        else f" (BI has since moved on to `{ui.short(run.shown_run_id)}`)"
    )
    st.markdown(f"**{data.comparison_headline(comparison, run.problem_type)}**")
    st.caption(
        f"Both runs scored on this run's test period, each with its own pickle: "
        f"this run against `{ui.short(compared)}`, the run BI showed when it was "
        f"made{note}. The high band is the riskiest part of the ranking, as "
        "BI shows it; flagged is a risk at or above the run's threshold."
    )
    left, right = st.columns([3, 2])
    left.table(data.comparison_table(comparison, run.problem_type).set_index("Measure"))
    if run.problem_type == data.CLASSIFICATION:
        right.altair_chart(
            charts.band_move_heatmap(data.band_moves(comparison)), width="stretch"
        )
        right.markdown(data.band_moves_sentence(comparison))
    drivers = data.driver_changes(comparison)
    st.subheader("Drivers against the shown run")
    driver_columns = st.columns(5)
    for column, (label, name) in zip(
        driver_columns,
        [
            ("New among the drivers", "gained"),
            ("No longer drivers", "lost"),
            ("Effect flipped", "flipped"),
            ("Moved in rank", "moved"),
            ("Unchanged", "same"),
        ],
        strict=True,
    ):
        column.metric(label, data.format_count(drivers[name]))
    st.caption(
        f"Drivers ranked by mean |SHAP value|; {drivers['top_5_overlap']} of the top "
        "5 are the same in both runs. Flipped: higher values now push risk the "
        "other way."
    )

st.header("Fairness")
protected = data.review_attributes(groups, "protected")
if run.problem_type == data.CLASSIFICATION:
    st.markdown(
        "**The four-fifths rule:** a group's share flagged should be at least "
        "four-fifths (0.8) of the largest group's; a lower ratio is the usual "
        "first sign of adverse impact. The gate reads the ratio both ways: a "
        "group flagged 1.6 times as often as the largest fails too (1 / 1.6 = "
        "0.63)."
    )
    value_title, share = "Share flagged", True
else:
    st.markdown(
        "**Pay against expectation per group:** actual minus expected pay; a "
        "group consistently below zero is paid less than its jobs explain."
    )
    value_title, share = "Actual minus expected pay", False
st.caption(
    "In brackets: 95% bootstrap intervals (small groups have wide ones; the gates "
    f"judge the whole interval). Groups of {data.suppressed_label(groups)} are "
    "named but never "
    "given a figure, to protect the people in them."
)
if not protected:
    st.info("This model's review policy names no protected attributes.")
for attribute in protected:
    label = data.attribute_label(attribute)
    st.subheader(label)
    tables, chart = st.columns([2, 1])
    with tables:
        _group_tables(groups, attribute, run.problem_type)
    points = data.fairness_points(groups, attribute, run.problem_type)
    if not points.empty:
        chart.altair_chart(
            charts.group_interval_chart(
                points, f"{value_title} by {label.lower()}", value_title, share=share
            ),
            width="stretch",
        )
slices = data.review_attributes(groups, "slice")
if slices:
    names = ", ".join(data.attribute_label(a).lower() for a in slices)
    with st.expander(f"Org slices: {names}"):
        st.caption(SLICE_HELP)
        for attribute in slices:
            st.markdown(f"**{data.attribute_label(attribute)}**")
            _group_tables(groups, attribute, run.problem_type)

st.header("Gates")
if gates.empty:
    st.info("This model's review policy sets no gates.")
for gate in gates.itertuples():
    colour = BADGE_COLOURS.get(gate.gate_status, "gray")
    st.markdown(
        f":{colour}-badge[{gate.verdict}] **{gate.label}**: {_escape(gate.message)}"
    )
command = data.deploy_command(run, ui.short(run.run_id))
if command is None:
    st.info(f"This run is {run.status}: only pending runs can be deployed.")
else:
    if run.failed_gate_count:
        st.warning(
            f"{run.failed_gate_count} gate(s) failed: deploying needs "
            "`--override-gates` and a reason that says why it is acceptable."
        )
    st.markdown("To deploy this run:")
    st.code(command, language="bash")
    st.caption(
        "Add `--apply` to rebuild and publish the marts at once. "
        f"`people-ml review {ui.short(run.run_id)}` prints this review in a terminal."
    )
