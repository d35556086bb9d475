-- A decision in seeds/run_status.csv for a run this warehouse does not know.
-- A warning, not an error: the log is shared through version control, and a
-- teammate's runs live in their own warehouse.
{{ config(severity='warn') }}

with

decisions as (

    select * from {{ ref('int_ml_decisions_validated') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

final as (

    select
        decisions.run_id,
        decisions.status,
        decisions.decided_at

    from decisions
    left join runs
        on decisions.run_id = runs.run_id
    where runs.run_id is null

)

select * from final
