-- The deployment gates of every recorded run: one row per run and gate of
-- its model's review policy, with the figure judged, its interval (fairness
-- gates judge the interval: fail when all of it is past the limit, warn when
-- it straddles the limit), the limit and the verdict in words.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

gates as (

    select * from {{ ref('stg_ml_store__gate_results') }}

),

final as (

    select
        gates.run_id,
        runs.model_key,
        gates.gate,
        gates.status as gate_status,
        gates.message as gate_message,
        gates.value as judged_value,
        gates.ci_low,
        gates.ci_high,
        gates.threshold

    from gates
    inner join runs
        on gates.run_id = runs.run_id

)

select * from final
