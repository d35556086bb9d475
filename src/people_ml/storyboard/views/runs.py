"""Model runs: every run's status, which one is shown, its results and EDA profile."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

STATUSES = ("pending", "deployed", "persisted", "ignored")
HEADLINE_METRICS = ("roc_auc", "pr_auc", "brier", "mae", "rmse", "r2")
KINDS = {"binary_classification": "Yes/no (a probability)", "regression": "A value"}
SPLITS = {"cv": "Cross-validation", "test": "Test period", "predict": "Predict set"}
USED = {"selected": "Yes", "processed": "Yes", "dropped": "No"}

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
models = marts.models
st.dataframe(
    pd.DataFrame(
        {
            "ML model": models["model_key"].map(data.model_label),
            "Kind": models["problem_type"].map(KINDS).fillna(models["problem_type"]),
            "Shown run": models["shown_run_id"].map(ui.short_or_none),
            "Deployed": models["shown_run_deployed_at"].map(data.format_date),
            "Frozen run": models["frozen_run_id"].map(ui.short_or_none),
            "Runs": models["run_count"].map(data.format_count),
            "Last run": models["last_run_at"].map(data.format_date),
        }
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("All runs")
st.dataframe(
    pd.DataFrame(
        {
            "Run": runs["run_id"].map(ui.short),
            "ML model": runs["model_key"].map(data.model_label),
            "#": runs["run_number"],
            "Status": runs["status"].str.capitalize()
            + runs["is_shown"].map({True: " (shown)", False: ""}).fillna(""),
            "Made by": runs["mode"].map({"trained": "training", "scored": "scoring"})
            + " ("
            + runs["algorithm"].str.replace("_", " ")
            + ")",
            "Test result": [
                f"ROC AUC {auc:.3f}"
                if pd.notna(auc)
                else (f"R² {r2:.3f}" if pd.notna(r2) else "")
                for auc, r2 in zip(runs["test_roc_auc"], runs["test_r2"], strict=True)
            ],
            "Created": runs["created_at"].map(
                lambda v: f"{pd.Timestamp(v):%Y-%m-%d %H:%M}" if pd.notna(v) else ""
            ),
        }
    ),
    hide_index=True,
    width="stretch",
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
if pd.notna(run.get("decided_by")):
    st.markdown(
        f"**{str(run['status']).capitalize()}** by {run['decided_by']}"
        + (f": {run['decision_reason']}" if pd.notna(run["decision_reason"]) else "")
    )
st.caption(
    f"{run['mode']} with {str(run['algorithm']).replace('_', ' ')} · "
    f"{run['n_train_rows']:,} training rows "
    f"to {data.format_date(run['train_end_date'])}, tested on "
    f"{data.format_date(run['test_date'])}, predicting {run['n_predict_rows']:,} as "
    f"of {data.format_date(run['predict_date'])}"
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
    st.dataframe(
        pd.DataFrame(
            {
                "Where": performance["split"].map(SPLITS).fillna(performance["split"]),
                "Metric": performance["metric"].str.replace("_", " "),
                "Class": performance["class_label"].replace({"all": ""}),
                "Value": performance["value"].map(lambda v: f"{v:,.4g}"),
            }
        ),
        hide_index=True,
        width="stretch",
    )

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
    st.dataframe(findings, hide_index=True, width="stretch")

st.subheader("What the model was given: the profile of each column")
profile = marts.profile(run_id)
names = profile.get("feature_label", profile["feature"])
st.dataframe(
    pd.DataFrame(
        {
            "Feature (column)": [
                f"{name} ({column})" if name != column else column
                for name, column in zip(names, profile["feature"], strict=True)
            ],
            "Used": profile["status"].map(USED).fillna(profile["status"]),
            "Missing": profile["missing_share"].map(data.format_share),
            "Association with the outcome": [
                f"{value:.2f} ({measure})" if pd.notna(value) else ""
                for value, measure in zip(
                    profile["target_association"],
                    profile["association_measure"].fillna(""),
                    strict=True,
                )
            ],
            "Why": profile["reason"].fillna(""),
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={"Why": st.column_config.TextColumn(width="large")},
)
