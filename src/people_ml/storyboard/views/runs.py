"""Model runs: every run's status, which one is shown, its results and EDA profile."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

STATUSES = ("pending", "deployed", "persisted", "ignored")
HEADLINE_METRICS = ("roc_auc", "pr_auc", "brier", "mae", "rmse", "r2")

marts = ui.load_marts()
runs = marts.runs()

st.title("Model runs")
st.caption(
    "Every run lands as pending; a person deploys it (BI shows the latest "
    "deployed run), deploys and persists it (it also scores future builds), or "
    f"ignores it. {ui.DEPLOY_HINT}"
)
counts = runs["status"].value_counts()
headline = st.columns(len(STATUSES) + 1)
headline[0].metric("Runs", data.format_count(len(runs)))
for column, status in zip(headline[1:], STATUSES, strict=True):
    column.metric(status.capitalize(), data.format_count(int(counts.get(status, 0))))

st.subheader("Which run each model shows")
st.dataframe(
    marts.models[
        [
            "model_key",
            "problem_type",
            "shown_run_id",
            "shown_run_deployed_at",
            "frozen_run_id",
            "run_count",
            "last_run_at",
        ]
    ],
    hide_index=True,
)

st.subheader("All runs")
st.dataframe(
    runs[
        [
            "run_id",
            "model_key",
            "run_number",
            "status",
            "is_shown",
            "mode",
            "algorithm",
            "selection_metric",
            "cv_score",
            "test_roc_auc",
            "test_r2",
            "created_at",
            "decided_by",
            "decision_reason",
        ]
    ],
    hide_index=True,
)

labels = {
    row.run_id: f"{ui.short(row.run_id)} · {row.model_key} #{row.run_number} · "
    f"{row.status}{' · shown' if row.is_shown else ''}"
    for row in runs.itertuples()
}
if not labels:
    st.info("No runs yet: `dbt build` trains the first.")
    st.stop()
shown_first = sorted(labels, key=lambda run_id: not labels[run_id].endswith("shown"))
run_id = st.selectbox("Run", shown_first, format_func=labels.get, key="run_detail")
run = data.run_record(marts, run_id)

st.subheader(f"Results of run {ui.short(run_id)}")
st.caption(
    f"{run['mode']} with {run['algorithm']} · {run['n_train_rows']:,} training rows "
    f"to {data.format_date(run['train_end_date'])}, tested on "
    f"{data.format_date(run['test_date'])}, predicting {run['n_predict_rows']:,} as "
    f"of {data.format_date(run['predict_date'])} · pickle sha256 "
    f"`{str(run['artifact_sha256'])[:16]}…`"
)
performance = marts.performance(run_id)
overall = performance[
    performance["metric"].isin(HEADLINE_METRICS) & (performance["class_label"] == "all")
]
if not overall.empty:
    st.altair_chart(
        charts.metric_bars(overall, "Test against cross-validation"), width="stretch"
    )
with st.expander("Every metric"):
    st.dataframe(performance.drop(columns=["model_performance_id"]), hide_index=True)

st.subheader("Data quality")
findings = marts.data_quality(run_id)
if run["mode"] == "scored":
    st.caption("A scored run uses its frozen run's model: its input was checked then.")
elif findings.empty:
    st.success(
        "The data-quality gate found nothing: no duplicates, no id-like or constant "
        "column, no date the row could not have known, no leakage through missing "
        "values, no protected attribute used as a feature."
    )
else:
    st.warning(
        f"The data-quality gate found {len(findings)} thing(s) to check; the run "
        "went on (a failing check would have refused it)."
    )
    st.dataframe(findings, hide_index=True)

st.subheader("EDA profile")
st.dataframe(
    marts.profile(run_id).drop(columns=["feature_profile_id", "run_id"]),
    hide_index=True,
)
