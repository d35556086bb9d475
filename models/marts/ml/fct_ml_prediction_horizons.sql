-- The shown run's probability of the event within each prediction window:
-- one row per ML model, employee and horizon. A hazard run predicts several
-- horizons (3, 6 and 12 months for attrition); a classifier its one (its
-- label horizon). The sum of prediction over a group is its expected number
-- of leavers within horizon_months. Regressions have no rows.
with

horizon_predictions as (

    select * from {{ ref('stg_ml_store__horizon_predictions') }}

),

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

shown_runs as (

    select
        runs.run_id,
        runs.model_key,
        runs.label_horizon_months

    from runs
    inner join shown
        on runs.run_id = shown.run_id
    where runs.problem_type = 'binary_classification'

),

points as (

    select
        horizon_predictions.run_id,
        horizon_predictions.entity_id,
        horizon_predictions.sample_date,
        horizon_predictions.horizon_months,
        horizon_predictions.prediction

    from horizon_predictions
    inner join shown_runs
        on horizon_predictions.run_id = shown_runs.run_id

    union all

    select
        predictions.run_id,
        predictions.entity_id,
        predictions.sample_date,
        shown_runs.label_horizon_months as horizon_months,
        predictions.prediction

    from predictions
    inner join shown_runs
        on predictions.run_id = shown_runs.run_id
    where not exists (
            select 1
            from horizon_predictions
            where horizon_predictions.run_id = predictions.run_id
        )

),

ranked as (

    select
        points.*,
        shown_runs.model_key,
        shown_runs.label_horizon_months,
        percent_rank() over (
            partition by points.run_id, points.horizon_months
            order by points.prediction
        ) as prediction_percentile

    from points
    inner join shown_runs
        on points.run_id = shown_runs.run_id

),

final as (

    select
        ranked.model_key
        || '-' || ranked.entity_id
        || '-' || cast(ranked.horizon_months as string)
            as prediction_horizon_id,
        ranked.run_id,
        ranked.model_key,
        ranked.entity_id as worker_id,
        employees.org_unit_id,
        employees.division_name,
        employees.department_name,
        employees.job_family,
        employees.region,
        employees.job_level,
        cast(ranked.horizon_months as bigint) as horizon_months,
        ranked.horizon_months = ranked.label_horizon_months
            as is_run_horizon,
        ranked.prediction,
        ranked.prediction_percentile,
        ranked.sample_date

    from ranked
    left join employees
        on
            ranked.entity_id = employees.worker_id
            and ranked.sample_date = employees.snapshot_date

)

select * from final
