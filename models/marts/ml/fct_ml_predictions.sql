-- The shown run's predictions, one row per ML model and entity, joined to the
-- employee as they were at the sample date (the as-of date of the run) so BI
-- can slice by org unit, job, level, location and manager. Classification
-- models get a percentile within the run and a risk band (vars
-- risk_band_high_percentile / risk_band_medium_percentile).
with

predictions as (

    select * from {{ ref('stg_ml_store__predictions') }}

),

shown as (

    select * from {{ ref('int_ml_runs_shown') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

employees as (

    select * from {{ ref('int_employees_snapshotted_monthly') }}

),

shown_predictions as (

    select
        predictions.*,
        runs.model_key,
        runs.problem_type,
        runs.decision_threshold,
        runs.label_horizon_months,
        percent_rank() over (
            partition by predictions.run_id order by predictions.prediction
        ) as prediction_percentile

    from predictions
    inner join shown
        on predictions.run_id = shown.run_id
    inner join runs
        on predictions.run_id = runs.run_id

),

final as (

    select
        shown_predictions.model_key || '-' || shown_predictions.entity_id
            as prediction_id,
        shown_predictions.run_id,
        shown_predictions.model_key,
        shown_predictions.entity_id as worker_id,
        employees.org_unit_id,
        employees.manager_worker_id,
        employees.location_id,
        employees.team_name,
        employees.department_name,
        employees.division_name,
        employees.job_family,
        employees.location_name,
        employees.region,
        case
            when shown_predictions.problem_type != 'binary_classification'
                then null
            when
                shown_predictions.prediction_percentile
                >= {{ var('risk_band_high_percentile') }}
                then 'high'
            when
                shown_predictions.prediction_percentile
                >= {{ var('risk_band_medium_percentile') }}
                then 'medium'
            else 'low'
        end as risk_band,
        employees.job_level,
        shown_predictions.prediction,
        shown_predictions.predicted_class,
        shown_predictions.prediction_percentile,
        shown_predictions.decision_threshold,
        case
            when shown_predictions.problem_type = 'binary_classification'
                then shown_predictions.label_horizon_months
        end as horizon_months,
        shown_predictions.sample_date,
        employees.worker_id is not null as is_hris_worker

    from shown_predictions
    left join employees
        on
            shown_predictions.entity_id = employees.worker_id
            and shown_predictions.sample_date = employees.snapshot_date

)

select * from final
