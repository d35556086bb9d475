with

source as (

    select * from {{ source('hris', 'promotions') }}

),

renamed as (

    select
        cast(promotion_id as varchar) as promotion_id,
        cast(worker_id as varchar) as worker_id,
        cast(from_job_level as integer) as from_job_level,
        cast(to_job_level as integer) as to_job_level,
        cast(effective_date as date) as effective_date

    from source

)

select * from renamed
