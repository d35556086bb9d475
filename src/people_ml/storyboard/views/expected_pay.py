"""Expected pay: the regression model, pay against expectation and by group."""

from __future__ import annotations

import pandas as pd
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
reader = ui.reader()
if data.PAY_MODEL not in marts.shown_models(data.REGRESSION):
    st.title("Expected pay")
    st.info(f"The `{data.PAY_MODEL}` model has no deployed run yet. {ui.DEPLOY_HINT}")
    st.stop()
summary = data.pay_summary(marts)
pay = marts.table("fct_ml_expected_pay")
min_size = ui.min_group_size()

as_of = data.format_date(summary.sample_date)
st.title(f"Is pay what the job explains? Base salaries on {as_of}")
st.caption(
    f"Expected pay model, run #{ui.run_number(marts, summary.run_id)} "
    f"(`{ui.short(summary.run_id)}`): what each employee's base salary would be "
    "given their job, level, location, tenure and performance. Protected "
    "attributes are never features, so a gap between groups is pay the job does "
    "not explain."
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
    help="The mean of actual / expected - 1 over everyone.",
)
if summary.test_mae is not None:
    r2 = (
        f"; it explains {summary.test_r2:.0%} of the spread of pay"
        if (summary.test_r2 is not None)
        else ""
    )
    st.markdown(
        f"**How far to trust it.** On people it did not learn from, the expected "
        f"salary was off by {data.format_money(summary.test_mae)} on average{r2}."
    )

group_label = st.segmented_control(
    "Compare by", list(GROUPS), default="Gender", key="pay_group"
)
group_column = GROUPS[group_label or "Gender"]
gaps = data.pay_gap_by(pay, group_column, min_size=min_size)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.pay_gap_bar(gaps.table, group_column, group_label or "Gender"),
    width="stretch",
)
right.markdown(
    "**How to read it.** Each bar is the group's average gap between actual and "
    "expected pay, with its 95% interval and head count. A gap whose interval "
    "crosses the dashed line is within what chance allows. Groups of fewer "
    f"than {min_size} people are never shown on their own. " + gaps.note("groups")
)
st.dataframe(
    ui.pay_gap_table(gaps.table, group_column, group_label or "Gender"),
    hide_index=True,
    width="stretch",
)

if not reader.sees_people:
    st.caption(
        "Individual salaries are for readers whose role may see people "
        f"({reader.identity} is a {reader.role})."
    )
    st.stop()
people = reader.pay(marts)
if reader.scope_note:
    st.caption(reader.scope_note)
st.altair_chart(charts.pay_scatter(people), width="stretch")
st.subheader("Furthest below expectation")
below = people.sort_values("pay_residual_share").head(20)
st.dataframe(
    pd.DataFrame(
        {
            "Worker": below["worker_id"],
            "Department": below["department_name"],
            "Job family": below["job_family"],
            "Job level": below["job_level"],
            "Actual pay": below["actual_base_salary"].map(data.format_money),
            "Expected pay": below["expected_base_salary"].map(data.format_money),
            "Gap": below["pay_residual_share"].map(lambda v: f"{v:+.1%}"),
        }
    ),
    hide_index=True,
    width="stretch",
)
