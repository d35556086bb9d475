-- Which run of each ML model monitoring judges: one row per run with whether
-- it is the model's latest run (its predict set is the freshest input: the
-- drift and input checks of that run are the model's current state), whether
-- BI shows it, and whether the model has a deployed run at all (alerts are
-- raised only for deployed models).
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

statuses as (

    select * from {{ ref('int_ml_run_statuses') }}

),

shown as (

    select * from {{ ref('int_ml_runs_shown') }}

),

ranked as (

    select
        runs.run_id,
        runs.model_key,
        runs.run_number,
        runs.mode,
        runs.frozen_run_id,
        runs.predict_date,
        statuses.status,
        row_number() over (
            partition by runs.model_key
            order by runs.run_number desc, runs.run_id desc
        ) as recency_rank

    from runs
    inner join statuses
        on runs.run_id = statuses.run_id

),

final as (

    select
        ranked.run_id,
        ranked.model_key,
        ranked.run_number,
        ranked.mode,
        ranked.frozen_run_id,
        ranked.predict_date,
        ranked.status,
        ranked.recency_rank = 1 as is_latest_run,
        shown.run_id is not null as is_shown_run,
        shown_models.run_id is not null as is_model_deployed

    from ranked
    left join shown
        on ranked.run_id = shown.run_id
    left join shown as shown_models
        on ranked.model_key = shown_models.model_key

)

select * from final
