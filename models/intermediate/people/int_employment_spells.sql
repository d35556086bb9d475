-- One row per employment spell: from a hire or rehire to the termination that
-- ends it (null while the spell is open).
with

job_history as (

    select * from {{ ref('stg_hris__job_history') }}

),

terminations as (

    select * from {{ ref('stg_hris__terminations') }}

),

spell_starts as (

    select
        worker_id,
        event_type,
        effective_date as spell_start_date,
        row_number() over (
            partition by worker_id order by effective_date
        ) as spell_number,
        lead(effective_date) over (
            partition by worker_id order by effective_date
        ) as next_spell_start_date

    from job_history
    where is_spell_start

),

spell_ends as (

    -- The first termination on or after the spell's start and before the
    -- next spell's start closes the spell.
    select
        spell_starts.worker_id,
        spell_starts.spell_number,
        terminations.termination_id,
        terminations.termination_type,
        terminations.termination_reason,
        terminations.is_voluntary,
        terminations.is_regrettable,
        terminations.termination_date,
        row_number() over (
            partition by spell_starts.worker_id, spell_starts.spell_number
            order by terminations.termination_date
        ) as termination_rank

    from spell_starts
    inner join terminations
        on
            spell_starts.worker_id = terminations.worker_id
            and spell_starts.spell_start_date <= terminations.termination_date
            and (
                spell_starts.next_spell_start_date is null
                or spell_starts.next_spell_start_date
                > terminations.termination_date
            )

),

final as (

    select
        spell_starts.worker_id
        || '-' || cast(spell_starts.spell_number as varchar)
            as employment_spell_id,
        spell_starts.worker_id,
        spell_ends.termination_id,
        spell_ends.termination_type,
        spell_ends.termination_reason,
        spell_starts.spell_number,
        coalesce(spell_ends.is_voluntary, false) as is_voluntary_exit,
        coalesce(spell_ends.is_regrettable, false) as is_regrettable_exit,
        spell_starts.event_type = 'rehire' as is_rehire,
        spell_starts.spell_start_date,
        spell_ends.termination_date as spell_end_date

    from spell_starts
    left join spell_ends
        on
            spell_starts.worker_id = spell_ends.worker_id
            and spell_starts.spell_number = spell_ends.spell_number
            and spell_ends.termination_rank = 1

)

select * from final
