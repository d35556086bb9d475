-- The expected_pay model's shown run: predicted against actual annual FTE
-- base salary, one row per employee at the run's as-of date. Protected
-- attributes are carried here (never features of the model) so pay-equity
-- analysis can compare residuals across groups.
with

predictions as (

    select * from {{ ref('fct_ml_predictions') }}

),

employees as (

    select * from {{ ref('int_employees_snapshotted_monthly') }}

),

final as (

    select
        predictions.prediction_id,
        predictions.run_id,
        predictions.worker_id,
        predictions.org_unit_id,
        predictions.department_name,
        predictions.division_name,
        predictions.job_family,
        predictions.region,
        employees.gender,
        employees.ethnicity_group,
        predictions.job_level,
        employees.base_salary as actual_base_salary,
        predictions.prediction as expected_base_salary,
        employees.base_salary - predictions.prediction as pay_residual,
        employees.base_salary / nullif(predictions.prediction, 0) - 1
            as pay_residual_share,
        predictions.sample_date

    from predictions
    inner join employees
        on
            predictions.worker_id = employees.worker_id
            and predictions.sample_date = employees.snapshot_date
    where predictions.model_key = 'expected_pay'

)

select * from final
