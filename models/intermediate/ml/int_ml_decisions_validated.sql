-- Every decision on every run, the people's (the decision log, parsed and
-- checked by the ledger in ml_decision_log) and the system's (a run scored
-- by a frozen model is deployed when recorded, unless its spec turns that
-- off), in the ledger's one order and checked against its rules: the
-- transition table and rule texts are rendered from people_ml.ledger
-- (macros/ledger/_ledger.sql). The first decision that breaks a rule fails
-- the build, naming the line (or the system decision) and the rule.
{{ config(materialized='table') }}

with

logged_decisions as (

    select * from {{ ref('ml_decision_log') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

gate_results as (

    select * from {{ ref('stg_ml_store__gate_results') }}

),

transitions as (

    {{ ledger_transitions() }}

),

rules as (

    {{ ledger_rules() }}

),

failed_gates as (

    select
        run_id,
        count(*) as failed_gate_count

    from gate_results
    where status = 'fail'
    group by 1

),

people_decisions as (

    select
        run_id,
        status,
        decided_by,
        reason,
        'run_status' as decision_source,
        line_number,
        decided_at

    from logged_decisions

),

system_decisions as (

    select
        run_id,
        'deployed' as status,
        {{ ledger_system_actor() }} as decided_by,
        'scored with frozen run ' || frozen_run_id
        || ': deployed automatically' as reason,
        'system' as decision_source,
        cast(null as bigint) as line_number,
        created_at as decided_at

    from runs
    where is_auto_deployed

),

all_decisions as (

    select * from people_decisions
    union all
    select * from system_decisions

),

sequenced as (

    select
        all_decisions.*,
        runs.model_key,
        runs.created_at as run_created_at,
        coalesce(failed_gates.failed_gate_count, 0) as failed_gate_count,
        case
            when all_decisions.decision_source = 'system' then 'system'
            else 'person'
        end as actor_kind,
        -- The one order: time, the system's before a line at the same
        -- instant, then line number, then run id.
        row_number() over (
            order by
                all_decisions.decided_at asc,
                case
                    when all_decisions.decision_source = 'system' then 0
                    else 1
                end asc,
                coalesce(all_decisions.line_number, 0) asc,
                all_decisions.run_id asc
        ) as sequence_number

    from all_decisions
    left join runs
        on all_decisions.run_id = runs.run_id
    left join failed_gates
        on all_decisions.run_id = failed_gates.run_id

),

with_previous as (

    select
        *,
        coalesce(
            lag(status) over (
                partition by run_id order by sequence_number
            ),
            'pending'
        ) as previous_status,
        lead(sequence_number) over (
            partition by run_id order by sequence_number
        ) as next_sequence_number,
        row_number() over (
            partition by run_id, decided_at order by sequence_number
        ) as rank_at_same_time

    from sequenced

),

-- A run persisted while another run of its model is persisted.
frozen_conflicts as (

    select
        candidates.sequence_number,
        min(persisted_runs.run_id) as other_run_id

    from with_previous as candidates
    inner join with_previous as persisted_runs
        on
            candidates.model_key = persisted_runs.model_key
            and candidates.run_id != persisted_runs.run_id
            and candidates.sequence_number > persisted_runs.sequence_number
            and (
                candidates.sequence_number
                < persisted_runs.next_sequence_number
                or persisted_runs.next_sequence_number is null
            )
            and persisted_runs.status = 'persisted'
    where candidates.status = 'persisted'
    group by 1

),

checked as (

    select
        with_previous.*,
        frozen_conflicts.other_run_id,
        case
            when with_previous.rank_at_same_time > 1 then 'same_time'
            when
                with_previous.actor_kind = 'person'
                and with_previous.decided_at < with_previous.run_created_at
                then 'decided_before_run'
            -- A rule a reason prefix lifts (a rollback's `rollback to ...`).
            when
                transitions.rule_code is not null
                and (
                    transitions.reason_prefix is null
                    or substr(
                        with_previous.reason,
                        1,
                        length(transitions.reason_prefix)
                    ) != transitions.reason_prefix
                )
                then transitions.rule_code
            when
                with_previous.actor_kind = 'person'
                and with_previous.failed_gate_count > 0
                and with_previous.previous_status = 'pending'
                and with_previous.status in ('deployed', 'persisted')
                and substr(
                    with_previous.reason,
                    1,
                    length({{ ledger_override_prefix() }})
                ) != {{ ledger_override_prefix() }}
                then 'gates_failed'
            when frozen_conflicts.sequence_number is not null
                then 'one_frozen_run'
        end as rule_code

    from with_previous
    inner join transitions
        on
            with_previous.previous_status = transitions.from_status
            and with_previous.status = transitions.to_status
            and with_previous.actor_kind = transitions.actor_kind
    left join frozen_conflicts
        on with_previous.sequence_number = frozen_conflicts.sequence_number

),

first_violation as (

    select min(sequence_number) as sequence_number

    from checked
    where rule_code is not null

),

messages as (

    select
        checked.sequence_number,
        case
            when checked.decision_source = 'system'
                then
                    'the system''s auto-deploy of run ' || checked.run_id
                    || ' (recorded ' || cast(checked.decided_at as string)
                    || ' UTC)'
            else
                'seeds/run_status.csv, line '
                || cast(checked.line_number as string) || ': run '
                || checked.run_id || ' set to ' || checked.status
        end
        || ' breaks a rule: ' || rules.rule_message
        || case
            when checked.rule_code = 'one_frozen_run'
                then
                    ' (model ' || checked.model_key || ' is frozen by run '
                    || checked.other_run_id || ')'
            else ''
        end
        || case
            when checked.decision_source = 'system'
                then
                    '. Remove the line of seeds/run_status.csv that decided '
                    || 'on this run before it.'
            else '. Fix or remove that line.'
        end
        || ' [rule ' || checked.rule_code || ']' as message

    from checked
    inner join first_violation
        on checked.sequence_number = first_violation.sequence_number
    inner join rules
        on checked.rule_code = rules.rule_code

),

final as (

    select
        checked.run_id,
        checked.model_key,
        checked.status,
        checked.previous_status,
        checked.decided_by,
        checked.reason,
        checked.decision_source,
        checked.line_number,
        checked.sequence_number,
        -- fail_query() aborts the build with the message; valid rows pass.
        case
            when messages.message is not null
                then {{ fail_query('messages.message') }}
        end is null as is_valid,
        checked.decided_at

    from checked
    left join messages
        on checked.sequence_number = messages.sequence_number

)

select * from final
