-- A table, not a view: the attrition run reads all of it and six data tests
-- scan it (at 100,000 employees, 3.7 million rows that a view would compute
-- seven times).
{{ config(materialized='table') }}

-- The person-month attrition frame of a discrete-time hazard model (input
-- contract: entity, sample date, target). One row per employee at risk
-- (active) at each month-end of the employee snapshot, with the features of
-- int_attrition_samples_labelled. The target is a voluntary exit in the
-- month after the month-end: it resolves after one month, so every month-end
-- before the as-of date is labelled and the as-of date's rows form the
-- predict set (target null). Longer horizons are evaluated from the follow-up
-- columns: a voluntary exit within H months is exit_type = 'voluntary' and
-- months_until_exit <= H, known once months_until_as_of >= H or the spell
-- ended earlier. Exits after the as-of date (an as_of_date var set before the
-- end of the extract) are not seen: the spell counts as open.
with

snapshots as (

    select * from {{ ref('int_employees_snapshotted_monthly') }}

),

spells as (

    select * from {{ ref('int_employment_spells') }}

),

as_of as (

    select max(snapshot_date) as as_of_date from snapshots

),

follow_up as (

    select
        snapshots.*,
        case
            when spells.spell_end_date <= as_of.as_of_date
                then spells.termination_type
        end as exit_type,
        case
            when spells.spell_end_date <= as_of.as_of_date
                then {{ calendar_months_between(
                    'snapshots.snapshot_date', 'spells.spell_end_date'
                ) }}
        end as months_until_exit,
        {{ calendar_months_between(
            'snapshots.snapshot_date', 'as_of.as_of_date'
        ) }} as months_until_as_of

    from snapshots
    cross join as_of
    inner join spells
        on
            snapshots.worker_id = spells.worker_id
            and snapshots.spell_number = spells.spell_number

),

final as (

    select
        follow_up.employee_snapshot_id as attrition_person_month_id,
        follow_up.worker_id,
        follow_up.org_unit_id,
        follow_up.manager_worker_id,
        case
            when follow_up.months_until_as_of = 0 then 'current'
            else 'labelled'
        end as sample_period,
        follow_up.exit_type,
        follow_up.job_family,
        follow_up.division_name,
        follow_up.department_name,
        follow_up.region,
        follow_up.gender,
        follow_up.ethnicity_group,
        follow_up.job_level,
        follow_up.fte,
        follow_up.base_salary,
        follow_up.compa_ratio,
        follow_up.age_years,
        {{ age_band('follow_up.age_years') }} as age_band,
        follow_up.tenure_months,
        follow_up.months_since_promotion,
        follow_up.manager_changes_last_6_months,
        follow_up.last_rating,
        follow_up.direct_report_count,
        follow_up.months_until_exit,
        follow_up.months_until_as_of,
        follow_up.is_remote,
        follow_up.is_rehire,
        follow_up.is_people_manager,
        case
            when follow_up.months_until_as_of > 0
                then coalesce(
                        follow_up.exit_type = 'voluntary'
                        and follow_up.months_until_exit = 1,
                        false
                    )
        end as has_voluntary_exit_next_month,
        follow_up.snapshot_date as sample_date

    from follow_up

)

select * from final
