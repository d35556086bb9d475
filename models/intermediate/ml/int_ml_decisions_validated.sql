-- The run_status decision log, checked against the rules. A table, so the
-- checks run at build time: a hand edit that breaks a rule fails the build
-- here, naming the run and the rule, before any ML model reads the log.
{{ config(materialized='table') }}

with

decisions as (

    select * from {{ ref('run_status') }}

),

sequenced as (

    select
        *,
        lag(status) over (
            partition by run_id order by decided_at
        ) as previous_status,
        count(*) over (partition by run_id, decided_at) as n_at_same_time

    from decisions

),

checked as (

    select
        *,
        case
            when status not in ('deployed', 'persisted', 'ignored')
                then 'a decision sets deployed, persisted or ignored'
            when n_at_same_time > 1
                then 'two decisions on one run at the same decided_at'
            when previous_status = 'ignored'
                then 'ignoring is final: no decision can follow it'
            when previous_status = 'deployed'
                then 'only a pending run can be acted on (it is deployed)'
            when previous_status = 'persisted' and status != 'deployed'
                then 'a persisted run can only be unfrozen (set to deployed)'
        end as broken_rule

    from sequenced

),

final as (

    select
        run_id,
        status,
        decided_by,
        reason,
        previous_status,
        decided_at,
        -- error() aborts the build with the message; valid rows pass through.
        case
            when broken_rule is not null
                then
                    error(
                        'seeds/run_status.csv: run ' || run_id || ' set to '
                        || status || ' at ' || cast(decided_at as varchar)
                        || ' breaks a rule: ' || broken_rule
                        || '. Fix or remove that line.'
                    )
        end is null as is_valid

    from checked

)

select * from final
