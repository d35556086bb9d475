"""Runs of the `attrition` ML model: train a monthly hazard, or score when frozen."""

from people_ml.runs import execute_run, previous_runs


def model(dbt, session):
    # Append-only run history: set here because dbt's Python parser ignores the
    # folder-level materialization in dbt_project.yml.
    dbt.config(
        materialized="incremental",
        incremental_strategy="append",
        on_schema_change="append_new_columns",
    )
    frame = dbt.ref("int_attrition_person_months_labelled")
    decisions = dbt.ref("ml_decision_log").df()
    return execute_run(
        spec_config=dbt.config.get("ml_model"),
        frame=frame,
        decisions=decisions,
        runs=previous_runs(session, dbt.this, dbt.is_incremental),
        session=session,
        rerun_unchanged=dbt.config.get("ml_rerun_unchanged"),
        model_name="ml_attrition_runs",
    )
