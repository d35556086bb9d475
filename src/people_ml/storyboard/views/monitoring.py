"""Monitoring: are the deployed models still right? Alerts, outcomes, drift, input."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

PSI_HELP = (
    "**How to read PSI.** The population stability index compares how people "
    "spread over a feature's values now with how they spread in the data the "
    "model learned from: 0 is the same spread. Below {warn} nothing material "
    "has changed; {warn}–{alert} is a moderate shift worth a look (warning); "
    "above {alert} a major one (alert): the model is scoring people unlike "
    "those it learned from, and its risks for them deserve less trust. KS "
    "(numbers) and JS distance (categories) measure the same gap from 0 to 1; "
    "they are evidence beside the PSI, not verdicts (KS / JS column). "
    "**Expected (declared in the spec)**: a feature that moves by design (pay "
    "band midpoints rise every year, and the model follows them), listed under "
    "`monitoring.expected_drift` in the model's spec: its shift is shown but "
    "is never a warning or an alert."
)


def _escape(text: str) -> str:
    """Issue messages are plain text: keep Markdown from reading them."""
    for character in ("\\", "*", "_", "[", "]", "$", "~", "`"):
        text = text.replace(character, f"\\{character}")
    return text


def _status_colour(status: str) -> str:
    """Alerts red and warnings orange in the drift table."""
    if status.startswith("Alert"):
        return "color: #c0392b; font-weight: 600"
    if status.startswith("Warning"):
        return "color: #b9770e; font-weight: 600"
    if status == data.EXPECTED_DRIFT:
        return "color: #5d6d7e; font-style: italic"
    return ""


def _outcome_label(outcomes: pd.DataFrame, run_id: str) -> str:
    row = outcomes[outcomes["run_id"] == run_id].iloc[0]
    shown = " · shown now" if row["is_shown_run"] else ""
    return (
        f"Run #{row['run_number']} · predicted on "
        f"{data.format_date(row['predict_date'])} · "
        f"{data.months_text(int(row['months_with_outcomes']))} of outcomes{shown}"
    )


def _alerts_headline() -> None:
    st.header("Alerts firing now")
    alerts = marts.table("fct_ml_monitoring_alerts")
    columns = st.columns(len(deployed))
    for column, key in zip(columns, deployed, strict=True):
        sentences = data.model_alerts(alerts, runs, key, marts.labels)
        with column:
            label = f"{data.model_label(key)} model"
            count = len(sentences)
            st.metric(
                label,
                "No alerts"
                if not count
                else f"{count} alert{'s' if count > 1 else ''}",
            )
            if not sentences:
                st.success(
                    "No alerts: no outcome is outside what the model expected, and the "
                    "people scored look like those it learned from."
                )
            for sentence in sentences:
                st.error(sentence)
            hint = data.unfreeze_hint(marts.models, runs, key) if sentences else None
            if hint:
                st.caption(hint)


def _realized_leavers(key: str) -> None:
    st.header("Expected vs actual leavers")
    outcomes = data.outcome_runs(realized, runs, key)
    choice = data.default_outcome_run(outcomes)
    with_outcomes = outcomes[outcomes["months_with_outcomes"] > 0]
    if choice.run_id is None:
        shown = outcomes[outcomes["is_shown_run"]]
        if shown.empty:
            st.info("No deployed run of this model has outcomes to compare yet.")
            return
        row = shown.iloc[0]
        st.info(
            f"No outcomes yet: run #{row['run_number']} predicted on "
            f"{data.format_date(row['predict_date'])} who would leave within "
            f"{data.months_text(int(row['label_horizon_months']))}. The first "
            "month of outcomes arrives with the next monthly HRIS extract "
            "(`people-ml advance` on synthetic data, then `dbt build`)."
        )
        return
    run_ids = [str(run_id) for run_id in with_outcomes["run_id"]]
    run_id = st.selectbox(
        "Deployed run",
        run_ids,
        index=run_ids.index(choice.run_id),
        format_func=lambda run_id: _outcome_label(outcomes, run_id),
        key="monitoring_outcome_run",
    )
    st.caption(choice.reason)
    summary = data.realized_leavers(realized, run_id)
    run_number = int(outcomes.loc[outcomes["run_id"] == run_id, "run_number"].iloc[0])
    st.markdown(f"**{data.prediction_window(run_number, summary)}**")
    left, right = st.columns([3, 2])
    trend = data.leaver_trend(realized, run_id)
    left.altair_chart(
        charts.leaver_trend_chart(trend, summary.label_horizon_months),
        width="stretch",
    )
    left.caption(
        "Expected: each person's predicted chance of having left by each month, "
        "summed (a hazard run reads it off its own 3-, 6- and 12-month "
        "predictions; a classifier spreads its "
        f"{data.months_text(summary.label_horizon_months)} risk at a constant "
        "monthly rate). Shaded: the range chance alone allows around it (95%); "
        "actual leavers outside it mean the model is off, not unlucky."
    )
    with right:
        figures = st.columns(2)
        figures[0].metric(
            "Left so far",
            f"{data.format_count(summary.actual)} "
            f"({data.format_share(summary.leaver_share)})",
            help=f"Voluntary exits of the {data.format_count(summary.people)} "
            "people predicted, as a share of them.",
        )
        figures[1].metric(
            "Expected by now",
            data.format_decimal(summary.expected),
            help=f"95% band {summary.lower:,.1f} to {summary.upper:,.1f}.",
        )
        st.markdown(data.band_verdict(summary))
        figures = st.columns(2)
        figures[0].metric(
            "Realized ROC AUC",
            "n/a" if summary.roc_auc is None else f"{summary.roc_auc:.2f}",
            help="How well the ranking separates leavers from stayers, on the "
            "outcomes known so far.",
        )
        figures[1].metric(
            "Review gate",
            "n/a" if summary.gate is None else f"{summary.gate:.2f}",
            help="The model's review policy: min_test_roc_auc.",
        )
        st.markdown(data.roc_auc_sentence(summary))
        st.markdown(data.high_band_sentence(summary))


def _realized_pay(key: str) -> None:
    st.header("Expected pay against actual pay")
    pay = data.realized_pay(realized, runs, key)
    if pay.empty:
        st.info("No deployed run of this model has pay to compare yet.")
        return
    shown = pay[pay["is_shown_run"]]
    row = (shown if len(shown) else pay).iloc[0]
    st.markdown(
        f"**Run #{row['run_number']} expected each of "
        f"{data.format_count(row['people'])} people's base salary as of "
        f"{data.format_date(row['predict_date'])}; against the salary the "
        "extract holds for that date:**"
    )
    figures = st.columns(4)
    figures[0].metric(
        "Realized MAE",
        data.format_money(row["mae"]),
        help="Mean absolute error: how far expected pay is from actual pay, "
        "on average, in either direction (a year of base salary).",
    )
    figures[1].metric(
        "Bias (actual − expected)",
        "n/a" if pd.isna(row["bias"]) else f"{row['bias']:+,.0f}",
        help="Below zero: people are paid less than the model expects.",
    )
    figures[2].metric("Off by (share of pay)", data.format_share(row["mape"]))
    figures[3].metric(
        "Test MAE",
        "n/a" if pd.isna(row["test_mae"]) else data.format_money(row["test_mae"]),
        help="The same error on the run's test period, when it was reviewed.",
    )
    st.markdown(data.pay_sentence(row))
    if len(pay) > 1:
        history = pd.DataFrame(
            {
                "Run": [f"#{number}" for number in pay["run_number"]],
                "Predicted on": pay["predict_date"].map(data.format_date),
                "People": pay["people"].astype(int),
                "Realized MAE": pay["mae"],
                "Bias (actual − expected)": pay["bias"],
            }
        )
        with st.expander("Every deployed run"):
            st.dataframe(
                history,
                hide_index=True,
                column_config={
                    "People": st.column_config.NumberColumn(format="%,d"),
                    "Realized MAE": st.column_config.NumberColumn(format="%,.0f"),
                    "Bias (actual − expected)": st.column_config.NumberColumn(
                        format="%+,.0f"
                    ),
                },
            )


def _drift(key: str) -> str | None:
    st.header("Has the workforce changed since the model learned?")
    drift = marts.table("fct_ml_feature_drift")
    latest = data.latest_drift_run(drift, key)
    if latest is None:
        st.info("No run of this model has drift figures yet.")
        return None
    run_id = str(latest["run_id"])
    baseline_id = data.drift_baseline(drift, run_id)
    baseline = data.run_record(marts, baseline_id) if baseline_id else None
    if baseline is None or baseline_id == run_id:
        how, against = "trained on the data up to then", "its own training data"
    else:
        how = f"scored by the model run #{baseline['run_number']} froze"
        against = f"the data run #{baseline['run_number']} was trained on"
    shown = marts.shown_run_id(key)
    shown_record = data.run_record(marts, shown) if shown else None
    if bool(latest["is_shown_run"]):
        bi = "BI shows this run"
    elif shown_record is None:
        bi = "BI shows no run of this model"
    else:
        bi = f"BI still shows run #{shown_record['run_number']}"
    table = data.drift_table(drift, run_id)
    psi_rows = drift[(drift["run_id"] == run_id) & (drift["statistic"] == "psi")]
    warn = float(psi_rows["warn_threshold"].dropna().iloc[0]) if len(psi_rows) else 0.1
    alert = (
        float(psi_rows["alert_threshold"].dropna().iloc[0]) if len(psi_rows) else 0.25
    )
    st.caption(
        f"The newest people the {data.model_label(key).lower()} model scored: run "
        f"#{latest['run_number']}, as of {data.format_date(latest['predict_date'])} "
        f"({how}; {bi}), against {against}."
    )
    left, right = st.columns([3, 2])
    with left:
        shown = table.drop(columns="feature").assign(
            PSI=table["PSI"].map("{:.3f}".format)
        )
        st.table(
            shown.set_index("Feature").style.map(_status_colour, subset=["Status"])
        )
        moved = data.prediction_drift(
            drift,
            run_id,
            runs,
            what="The risk scores"
            if problem_type == data.CLASSIFICATION
            else "The expected salaries",
        )
        if moved:
            st.caption(moved)
        st.markdown(PSI_HELP.format(warn=f"{warn:.2f}", alert=f"{alert:.2f}"))
    if table.empty:
        return run_id
    with right:
        feature = st.selectbox(
            "Look at one feature: training data against now",
            list(table["feature"]),
            index=0,
            format_func=lambda name: data.feature_label(name, marts.labels),
            key="monitoring_drift_feature",
        )
        bins = data.drift_bins(marts.table("fct_ml_drift_bins"), run_id, feature)
        if not bins.empty:
            st.altair_chart(
                charts.drift_bins_chart(
                    bins,
                    f"{data.feature_label(feature, marts.labels)}: share of people",
                ),
                width="stretch",
            )
    return run_id


def _input_issues(run_id: str | None) -> None:
    st.header("Input the model has not seen")
    if run_id is None:
        st.info("No run of this model has input checks yet.")
        return
    table = data.input_issue_table(
        marts.table("fct_ml_input_issues"), run_id, marts.labels
    )
    if table.empty:
        st.success(
            "Nothing new in the newest people scored: no category, value range, "
            "gap or column the model's training data lacked."
        )
        return
    st.caption(
        "Values the training data never held: the model's predictions for these "
        "people rest on nothing it learned. Warnings first."
    )
    st.table(
        table.drop(columns="What to do")
        .assign(
            People=table["People"].map(data.format_count),
            Share=table["Share"].map(data.format_share),
        )
        .set_index("Feature")
    )
    with st.expander("What was found and what to do"):
        for _, row in table.iterrows():
            st.markdown(
                f"- **{row['Feature']}** ({row['Issue'].lower()}): "
                + _escape(row["What to do"])
            )


marts = ui.load_marts()
st.title("Monitoring: are the deployed models still right?")
deployed = marts.shown_models()
if not deployed:
    st.info(f"No model is deployed yet, so nothing is monitored. {ui.DEPLOY_HINT}")
    st.stop()
runs = marts.table("dim_ml_runs")
realized = marts.table("fct_ml_realized_performance")
as_of = realized["as_of_date"].dropna() if "as_of_date" in realized else []
st.caption(
    "Each deployed run predicted who would leave (or what they would be paid); "
    "every new HRIS extract shows how right it was, and whether the people it "
    "now scores still look like those it learned from."
    + (
        f" Outcomes known through {data.format_date(as_of.max())}."
        if len(as_of)
        else ""
    )
)
_alerts_headline()
model_key = ui.pick_model(marts, None, default="attrition", what="deployed")
problem_type = str(
    marts.models.loc[marts.models["model_key"] == model_key, "problem_type"].iloc[0]
)
st.divider()
if problem_type == data.CLASSIFICATION:
    _realized_leavers(model_key)
else:
    _realized_pay(model_key)
drift_run = _drift(model_key)
_input_issues(drift_run)
