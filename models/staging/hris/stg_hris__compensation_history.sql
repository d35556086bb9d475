with

source as (

    select * from {{ source('hris', 'compensation_history') }}

),

renamed as (

    select
        cast(compensation_id as varchar) as compensation_id,
        cast(worker_id as varchar) as worker_id,
        lower(cast(change_reason as varchar)) as change_reason,
        upper(cast(currency as varchar)) as currency,
        cast(base_salary as double) as base_salary,
        cast(effective_date as date) as effective_date

    from source

)

select * from renamed
