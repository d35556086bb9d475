-- Every decision on every run, one row per decision: the people's, from the
-- run_status log, and the system's (a run scored by a frozen model is
-- deployed automatically unless its model's spec turns that off).
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
        'run_status' as decision_source,
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
        'system' as decision_source,
        created_at as decided_at

    from runs
    where is_auto_deployed

),

all_decisions as (

    select * from logged_decisions
    union all
    select * from system_decisions

),

final as (

    select
        all_decisions.run_id,
        runs.model_key,
        all_decisions.status,
        all_decisions.decided_by,
        all_decisions.reason,
        all_decisions.decision_source,
        runs.run_id is not null as is_known_run,
        all_decisions.decided_at

    from all_decisions
    left join runs
        on all_decisions.run_id = runs.run_id

)

select * from final
