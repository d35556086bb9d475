-- One row per run with its current status: its latest decision (from the
-- run_status log, or the system's automatic deployment of a run scored by a
-- frozen model), else pending.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

decisions as (

    select * from {{ ref('int_ml_decisions_validated') }}

),

logged_decisions as (

    select
        run_id,
        status,
        decided_by,
        reason,
        decided_at

    from decisions

),

system_decisions as (

    select
        run_id,
        'deployed' as status,
        'people-ml' as decided_by,
        'scored with frozen run ' || frozen_run_id
        || ': deployed automatically' as reason,
        created_at as decided_at

    from runs
    where is_auto_deployed

),

all_decisions as (

    select * from logged_decisions
    union all
    select * from system_decisions

),

latest_decisions as (

    select
        *,
        row_number() over (
            partition by run_id order by decided_at desc, status asc
        ) as recency_rank

    from all_decisions

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
