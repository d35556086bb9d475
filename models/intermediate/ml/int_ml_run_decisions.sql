-- Every decision on every run, one row per decision, in the ledger's order:
-- the people's (the decision log) and the system's (auto-deploys of scored
-- runs), already checked against the rules in int_ml_decisions_validated.
with

decisions as (

    select * from {{ ref('int_ml_decisions_validated') }}

),

final as (

    select
        run_id,
        model_key,
        status,
        decided_by,
        reason,
        decision_source,
        line_number,
        sequence_number,
        model_key is not null as is_known_run,
        decided_at

    from decisions

)

select * from final
