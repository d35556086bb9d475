-- A table, not a view: every test and both ML models read it, and it is the
-- most expensive query in the project.
{{ config(materialized='table') }}

-- The attrition training frame, in the input contract of an ML run: entity
-- (worker_id), sample date, target. One row per active employee per sample
-- date. Sample dates are every `sample_interval_months` month-ends counting
-- back from the as-of date. The target is a voluntary exit within
-- `attrition_horizon_months` after the sample date: known ('labelled') once
-- that window has closed by the as-of date; the as-of date's rows form the
-- predict set ('current'); sample dates in between are left out because their
-- outcome is not known yet.
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

sample_dates as (

    select distinct snapshots.snapshot_date as sample_date

    from snapshots
    cross join as_of
    where
        datediff('month', snapshots.snapshot_date, as_of.as_of_date)
        % {{ var('sample_interval_months') }} = 0

),

samples as (

    select
        spells.worker_id,
        spells.spell_number,
        spells.termination_type,
        spells.is_voluntary_exit,
        sample_dates.sample_date,
        spells.spell_end_date,
        last_day(
            sample_dates.sample_date
            + to_months({{ var('attrition_horizon_months') }})
        ) as horizon_end_date,
        case
            when sample_dates.sample_date = as_of.as_of_date then 'current'
            when
                last_day(
                    sample_dates.sample_date
                    + to_months({{ var('attrition_horizon_months') }})
                ) <= as_of.as_of_date
                then 'labelled'
            else 'unresolved'
        end as sample_period

    from sample_dates
    cross join as_of
    inner join spells
        on {{ is_active_on(
            'spells.spell_start_date',
            'spells.spell_end_date',
            'sample_dates.sample_date'
        ) }}

),

labelled as (

    select
        *,
        case
            when sample_period = 'labelled'
                then
                    coalesce(
                        is_voluntary_exit
                        and spell_end_date > sample_date
                        and spell_end_date <= horizon_end_date,
                        false
                    )
        end as has_voluntary_exit_in_horizon,
        case
            when
                sample_period = 'labelled'
                and spell_end_date <= horizon_end_date
                then termination_type
        end as exit_type_in_horizon

    from samples
    where sample_period in ('labelled', 'current')

),

final as (

    select
        labelled.worker_id
        || '-' || strftime(labelled.sample_date, '%Y%m') as attrition_sample_id,
        labelled.worker_id,
        snapshots.org_unit_id,
        snapshots.manager_worker_id,
        labelled.sample_period,
        labelled.exit_type_in_horizon,
        snapshots.job_family,
        snapshots.division_name,
        snapshots.department_name,
        snapshots.region,
        snapshots.gender,
        snapshots.ethnicity_group,
        snapshots.job_level,
        snapshots.fte,
        snapshots.base_salary,
        snapshots.compa_ratio,
        snapshots.age_years,
        {{ age_band('snapshots.age_years') }} as age_band,
        snapshots.tenure_months,
        snapshots.months_since_promotion,
        snapshots.manager_changes_last_6_months,
        snapshots.last_rating,
        snapshots.direct_report_count,
        snapshots.is_remote,
        snapshots.is_rehire,
        snapshots.is_people_manager,
        labelled.has_voluntary_exit_in_horizon,
        labelled.sample_date

    from labelled
    inner join snapshots
        on
            labelled.worker_id = snapshots.worker_id
            and labelled.sample_date = snapshots.snapshot_date

)

select * from final
