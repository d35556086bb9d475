-- A termination must follow a hire or rehire of the same worker: a termination
-- dated before the worker's first hire, or with no hire at all, is bad data.
with

terminations as (

    select * from {{ ref('stg_hris__terminations') }}

),

spell_starts as (

    select * from {{ ref('stg_hris__job_history') }}
    where is_spell_start

),

first_hires as (

    select
        worker_id,
        min(effective_date) as first_hire_date

    from spell_starts
    group by 1

),

final as (

    select
        terminations.termination_id,
        terminations.worker_id,
        terminations.termination_date,
        first_hires.first_hire_date

    from terminations
    left join first_hires
        on terminations.worker_id = first_hires.worker_id
    where
        first_hires.first_hire_date is null
        or terminations.termination_date < first_hires.first_hire_date

)

select * from final
