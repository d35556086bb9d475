-- A table, not a view: every test and both ML models read it, and it is the
-- most expensive query in the project.
{{ config(materialized='table') }}

-- The expected-pay training frame (input contract: entity, sample date,
-- target). One row per active employee per sample date. The target is the
-- annual FTE base salary at the sample date: known for past sample dates
-- ('labelled'); at the as-of date ('current') it is left null so the model
-- predicts it, and the actual salary is kept beside it in
-- actual_base_salary (never a feature) for predicted-against-actual pay.
-- Pay bands rise every year, so the frame carries the band midpoint in force
-- for the job family and level at the sample date, and the one in force when
-- the salary was last set (pay stays put between changes while bands rise):
-- without them a model fit on past years predicts this year's pay too low.
-- The compa ratio (salary over midpoint) is a function of the target and is
-- not carried.
with

snapshots as (

    select * from {{ ref('int_employees_snapshotted_monthly') }}

),

as_of as (

    select max(snapshot_date) as as_of_date from snapshots

),

samples as (

    select
        snapshots.*,
        case
            when snapshots.snapshot_date = as_of.as_of_date then 'current'
            else 'labelled'
        end as sample_period

    from snapshots
    cross join as_of
    where
        datediff('month', snapshots.snapshot_date, as_of.as_of_date)
        % {{ var('sample_interval_months') }} = 0

),

final as (

    select
        worker_id || '-' || strftime(snapshot_date, '%Y%m') as pay_sample_id,
        worker_id,
        org_unit_id,
        sample_period,
        job_family,
        division_name,
        department_name,
        region,
        gender,
        ethnicity_group,
        job_level,
        fte,
        age_years,
        {{ age_band('age_years') }} as age_band,
        tenure_months,
        months_since_promotion,
        last_rating,
        direct_report_count,
        band_midpoint,
        band_midpoint_at_pay_change,
        base_salary as actual_base_salary,
        case
            when sample_period = 'labelled' then base_salary
        end as base_salary,
        is_remote,
        is_people_manager,
        snapshot_date as sample_date

    from samples

)

select * from final
