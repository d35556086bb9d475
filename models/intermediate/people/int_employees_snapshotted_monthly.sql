-- A table, not a view: every test and both ML models read it, and it is the
-- most expensive query in the project.
{{ config(materialized='table') }}

-- One row per active employee per month-end over the last
-- `snapshot_history_months` months up to the as-of date: where they sit, what
-- they do, what they earn against their band, and how long since things
-- changed. Protected attributes are carried for fairness analysis only.
with

workers as (

    select * from {{ ref('stg_hris__workers') }}

),

locations as (

    select * from {{ ref('stg_hris__locations') }}

),

job_history as (

    select * from {{ ref('stg_hris__job_history') }}

),

compensation_history as (

    select * from {{ ref('stg_hris__compensation_history') }}

),

pay_bands as (

    select * from {{ ref('stg_hris__pay_bands') }}

),

performance_ratings as (

    select * from {{ ref('stg_hris__performance_ratings') }}

),

promotions as (

    select * from {{ ref('stg_hris__promotions') }}

),

org_units as (

    select * from {{ ref('int_org_units_flattened') }}

),

spells as (

    select * from {{ ref('int_employment_spells') }}

),

month_ends as (

    select last_day(cast(month_start as date)) as snapshot_date

    from generate_series(
            date_trunc('month', {{ as_of_date_sql() }})
            - to_months({{ var('snapshot_history_months') }} - 1),
            date_trunc('month', {{ as_of_date_sql() }}),
            interval 1 month
        ) as months (month_start)

),

active_employees as (

    select
        spells.worker_id,
        spells.spell_number,
        spells.is_rehire,
        spells.spell_start_date,
        month_ends.snapshot_date

    from month_ends
    inner join spells
        on {{ is_active_on(
            'spells.spell_start_date',
            'spells.spell_end_date',
            'month_ends.snapshot_date'
        ) }}

),

-- Effective-dated records get a validity range; rows sharing a date are
-- ordered by id so that the last one wins.
job_ranges as (

    select
        *,
        lag(manager_worker_id) over worker_timeline as previous_manager_id,
        lead(effective_date) over worker_timeline as valid_to

    from job_history
    window worker_timeline as (
        partition by worker_id order by effective_date, job_history_id
    )

),

pay_ranges as (

    select
        *,
        lead(effective_date) over (
            partition by worker_id order by effective_date, compensation_id
        ) as valid_to

    from compensation_history

),

band_ranges as (

    select
        *,
        lead(effective_date) over (
            partition by job_family, job_level order by effective_date
        ) as valid_to

    from pay_bands

),

rating_ranges as (

    select
        *,
        lead(review_date) over (
            partition by worker_id order by review_date, review_year
        ) as valid_to

    from performance_ratings

),

manager_changes as (

    -- A change of manager within a spell, whatever event recorded it.
    select
        worker_id,
        effective_date

    from job_ranges
    where
        not is_spell_start
        and manager_worker_id is distinct from previous_manager_id

),

recent_manager_changes as (

    select
        active_employees.worker_id,
        active_employees.snapshot_date,
        count(*) as manager_changes_last_6_months

    from active_employees
    inner join manager_changes
        on
            active_employees.worker_id = manager_changes.worker_id
            and manager_changes.effective_date > active_employees.snapshot_date
            - to_months(6)
            and active_employees.snapshot_date >= manager_changes.effective_date
            and active_employees.spell_start_date
            <= manager_changes.effective_date
    group by 1, 2

),

last_promotions as (

    select
        active_employees.worker_id,
        active_employees.snapshot_date,
        max(promotions.effective_date) as last_promotion_date

    from active_employees
    inner join promotions
        on
            active_employees.worker_id = promotions.worker_id
            and active_employees.snapshot_date >= promotions.effective_date
            and active_employees.spell_start_date <= promotions.effective_date
    group by 1, 2

),

snapshots as (

    select
        active_employees.worker_id,
        job_ranges.org_unit_id,
        job_ranges.manager_worker_id,
        workers.location_id,
        job_ranges.job_family,
        org_units.org_unit_name as team_name,
        org_units.department_name,
        org_units.division_name,
        locations.location_name,
        locations.region,
        workers.gender,
        workers.ethnicity_group,
        active_employees.spell_number,
        job_ranges.job_level,
        job_ranges.fte,
        pay_ranges.base_salary,
        band_ranges.band_midpoint,
        pay_change_bands.band_midpoint as band_midpoint_at_pay_change,
        pay_ranges.base_salary / nullif(band_ranges.band_midpoint, 0)
            as compa_ratio,
        datediff(
            'year', workers.birth_date, active_employees.snapshot_date
        ) - case
            when
                strftime(active_employees.snapshot_date, '%m%d')
                < strftime(workers.birth_date, '%m%d')
                then 1
            else 0
        end as age_years,
        datediff(
            'month',
            active_employees.spell_start_date,
            active_employees.snapshot_date
        ) as tenure_months,
        datediff(
            'month',
            coalesce(
                last_promotions.last_promotion_date,
                active_employees.spell_start_date
            ),
            active_employees.snapshot_date
        ) as months_since_promotion,
        coalesce(
            recent_manager_changes.manager_changes_last_6_months, 0
        ) as manager_changes_last_6_months,
        rating_ranges.rating as last_rating,
        workers.is_remote,
        active_employees.is_rehire,
        active_employees.spell_start_date,
        last_promotions.last_promotion_date,
        active_employees.snapshot_date

    from active_employees
    inner join workers
        on active_employees.worker_id = workers.worker_id
    left join locations
        on workers.location_id = locations.location_id
    left join job_ranges
        on
            active_employees.worker_id = job_ranges.worker_id
            and active_employees.snapshot_date >= job_ranges.effective_date
            and (
                job_ranges.valid_to is null
                or active_employees.snapshot_date < job_ranges.valid_to
            )
    left join org_units
        on job_ranges.org_unit_id = org_units.org_unit_id
    left join pay_ranges
        on
            active_employees.worker_id = pay_ranges.worker_id
            and active_employees.snapshot_date >= pay_ranges.effective_date
            and (
                pay_ranges.valid_to is null
                or active_employees.snapshot_date < pay_ranges.valid_to
            )
    left join band_ranges
        on
            job_ranges.job_family = band_ranges.job_family
            and job_ranges.job_level = band_ranges.job_level
            and active_employees.snapshot_date >= band_ranges.effective_date
            and (
                band_ranges.valid_to is null
                or active_employees.snapshot_date < band_ranges.valid_to
            )
    -- The band the salary was set against: pay stays put between changes
    -- while bands rise, so a salary last set before this year's bands sits
    -- lower in them.
    left join band_ranges as pay_change_bands
        on
            job_ranges.job_family = pay_change_bands.job_family
            and job_ranges.job_level = pay_change_bands.job_level
            and pay_ranges.effective_date >= pay_change_bands.effective_date
            and (
                pay_change_bands.valid_to is null
                or pay_ranges.effective_date < pay_change_bands.valid_to
            )
    left join rating_ranges
        on
            active_employees.worker_id = rating_ranges.worker_id
            and active_employees.snapshot_date >= rating_ranges.review_date
            and (
                rating_ranges.valid_to is null
                or active_employees.snapshot_date < rating_ranges.valid_to
            )
    left join last_promotions
        on
            active_employees.worker_id = last_promotions.worker_id
            and active_employees.snapshot_date = last_promotions.snapshot_date
    left join recent_manager_changes
        on
            active_employees.worker_id = recent_manager_changes.worker_id
            and active_employees.snapshot_date
            = recent_manager_changes.snapshot_date

),

direct_reports as (

    select
        manager_worker_id as worker_id,
        snapshot_date,
        count(*) as direct_report_count

    from snapshots
    where manager_worker_id is not null
    group by 1, 2

),

final as (

    select
        snapshots.worker_id
        || '-' || strftime(snapshots.snapshot_date, '%Y%m')
            as employee_snapshot_id,
        snapshots.* exclude (snapshot_date),  -- noqa: RF02
        coalesce(direct_reports.direct_report_count, 0)
            as direct_report_count,
        coalesce(direct_reports.direct_report_count, 0) > 0
            as is_people_manager,
        snapshots.snapshot_date

    from snapshots
    left join direct_reports
        on
            snapshots.worker_id = direct_reports.worker_id
            and snapshots.snapshot_date = direct_reports.snapshot_date

)

select * from final
