"""Publish every mart as Parquet after each build, for readers that never block it.

One row per published mart. Runs after the marts and their tests, so a build
whose marts fail a test publishes nothing and readers keep the last good set.
"""

from people_ml.publish import publish_marts


def model(dbt, session):
    dbt.config(materialized="table")
    return publish_marts(
        {
            "dim_ml_models": dbt.ref("dim_ml_models"),
            "dim_ml_runs": dbt.ref("dim_ml_runs"),
            "fct_ml_predictions": dbt.ref("fct_ml_predictions"),
            "fct_ml_prediction_horizons": dbt.ref("fct_ml_prediction_horizons"),
            "fct_ml_prediction_drivers": dbt.ref("fct_ml_prediction_drivers"),
            "fct_ml_feature_importance": dbt.ref("fct_ml_feature_importance"),
            "fct_ml_feature_effects": dbt.ref("fct_ml_feature_effects"),
            "fct_ml_model_performance": dbt.ref("fct_ml_model_performance"),
            "fct_ml_feature_profile": dbt.ref("fct_ml_feature_profile"),
            "fct_ml_expected_pay": dbt.ref("fct_ml_expected_pay"),
            "fct_ml_prediction_history": dbt.ref("fct_ml_prediction_history"),
            "fct_ml_subgroup_performance": dbt.ref("fct_ml_subgroup_performance"),
            "fct_ml_run_comparison": dbt.ref("fct_ml_run_comparison"),
            "fct_ml_run_gates": dbt.ref("fct_ml_run_gates"),
            "fct_ml_realized_performance": dbt.ref("fct_ml_realized_performance"),
            "fct_ml_feature_drift": dbt.ref("fct_ml_feature_drift"),
            "fct_ml_drift_bins": dbt.ref("fct_ml_drift_bins"),
            "fct_ml_input_issues": dbt.ref("fct_ml_input_issues"),
            "fct_ml_monitoring_alerts": dbt.ref("fct_ml_monitoring_alerts"),
            "fct_ml_data_quality": dbt.ref("fct_ml_data_quality"),
        }
    )
