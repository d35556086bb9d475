-- One row per run with its current status: its latest decision, else
-- pending.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

decisions as (

    select * from {{ ref('int_ml_run_decisions') }}

),

latest_decisions as (

    select
        *,
        row_number() over (
            partition by run_id order by sequence_number desc
        ) as recency_rank

    from decisions

),

final as (

    select
        runs.run_id,
        runs.model_key,
        latest_decisions.decided_by,
        latest_decisions.reason as decision_reason,
        runs.run_number,
        coalesce(latest_decisions.status, 'pending') as status,
        coalesce(latest_decisions.status, 'pending') = 'persisted' as is_frozen,
        coalesce(latest_decisions.status, 'pending')
        in ('deployed', 'persisted') as is_deployed,
        latest_decisions.decided_at

    from runs
    left join latest_decisions
        on
            runs.run_id = latest_decisions.run_id
            and latest_decisions.recency_rank = 1

)

select * from final
