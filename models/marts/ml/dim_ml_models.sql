-- One row per ML model: what it predicts, whether it is frozen, and which run
-- BI shows (null when no run is deployed).
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

models as (

    select
        runs.model_key,
        any_value(runs.problem_type) as problem_type,
        any_value(runs.target) as target_column,
        any_value(runs.dbt_model) as dbt_model,
        count(*) as run_count,
        max(runs.created_at) as last_run_at

    from runs
    group by 1

),

frozen as (

    select
        model_key,
        run_id as frozen_run_id

    from statuses
    where is_frozen

),

final as (

    select
        models.model_key,
        shown.run_id as shown_run_id,
        frozen.frozen_run_id,
        models.problem_type,
        models.target_column,
        models.dbt_model,
        models.run_count,
        frozen.frozen_run_id is not null as is_frozen,
        shown.deployed_at as shown_run_deployed_at,
        models.last_run_at

    from models
    left join shown
        on models.model_key = shown.model_key
    left join frozen
        on models.model_key = frozen.model_key

)

select * from final
