-- Every run of every ML model: one row per run, from the run tables that the
-- dbt Python models listed in the `ml_run_models` var append to.
with

{% for run_model in var('ml_run_models') %}
    {{ run_model }} as (

        select * from {{ ref(run_model) }}

    ),

{% endfor %}
unioned as (

    {% for run_model in var('ml_run_models') %}
        select
            run_id,
            model_key,
            frozen_run_id,
            invocation_id,
            dbt_model,
            mode,
            problem_type,
            target,
            algorithm,
            hyperparameters,
            features,
            selection_metric,
            calibration,
            class_balance,
            shap_output_space,
            artifact_sha256,
            artifact_path,
            run_number,
            n_train_rows,
            n_test_rows,
            n_predict_rows,
            cv_score,
            decision_threshold,
            fit_seconds,
            explain_seconds,
            shap_rows_per_second,
            total_seconds,
            coalesce(is_auto_deployed, false) as is_auto_deployed,
            cast(train_start_date as date) as train_start_date,
            cast(train_end_date as date) as train_end_date,
            cast(test_date as date) as test_date,
            cast(predict_date as date) as predict_date,
            label_horizon_months,
            created_at

        from {{ run_model }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
