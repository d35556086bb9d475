"""Expected pay: the regression model, pay against expectation and by group."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import _common as ui
from people_ml.storyboard import charts, data

GROUPS = {
    "Gender": "gender",
    "Ethnicity group": "ethnicity_group",
    "Job level": "job_level",
    "Division": "division_name",
    "Region": "region",
}

marts = ui.load_marts()
if data.PAY_MODEL not in marts.shown_models(data.REGRESSION):
    st.title("Expected pay")
    st.info(f"The `{data.PAY_MODEL}` model has no deployed run yet. {ui.DEPLOY_HINT}")
    st.stop()
summary = data.pay_summary(marts)
pay = marts.table("fct_ml_expected_pay")

st.title("Expected pay")
as_of = data.format_date(summary.sample_date)
st.caption(
    f"Run `{ui.short(summary.run_id)}` of the `{data.PAY_MODEL}` regression: what "
    "each employee's base salary would be given their job, level, location, "
    f"tenure and performance, as of {as_of}. Protected attributes are never "
    "features, so a gap between groups is pay the job does not explain."
)
headline = st.columns(4)
headline[0].metric("Employees", data.format_count(summary.headcount))
headline[1].metric("Average actual pay", data.format_money(summary.average_actual_pay))
headline[2].metric(
    "Average expected pay", data.format_money(summary.average_expected_pay)
)
headline[3].metric(
    "Average gap to expected",
    data.format_share(summary.average_residual_share),
    help="Mean of actual / expected - 1",
)
quality = st.columns(4)
quality[0].metric(
    "Test MAE",
    data.format_money(summary.test_mae) if summary.test_mae is not None else "n/a",
)
quality[1].metric(
    "Test R²", f"{summary.test_r2:.3f}" if summary.test_r2 is not None else "n/a"
)

left, right = st.columns([3, 2])
left.altair_chart(charts.pay_scatter(pay), width="stretch")
group_label = right.segmented_control(
    "Compare by", list(GROUPS), default="Gender", key="pay_group"
)
group_column = GROUPS[group_label or "Gender"]
gaps = data.pay_gap_by(pay, group_column)
right.altair_chart(charts.pay_gap_bar(gaps, group_column), width="stretch")
right.dataframe(gaps, hide_index=True, column_config=ui.PAY_COLUMNS)

st.subheader("Furthest below expectation")
st.dataframe(
    pay.sort_values("pay_residual_share").head(20)[
        [
            "worker_id",
            "department_name",
            "job_family",
            "job_level",
            "actual_base_salary",
            "expected_base_salary",
            "pay_residual_share",
        ]
    ],
    hide_index=True,
    column_config=ui.PAY_COLUMNS,
)
