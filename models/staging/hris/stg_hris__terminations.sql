with

source as (

    select * from {{ source('hris', 'terminations') }}

),

renamed as (

    select
        cast(termination_id as varchar) as termination_id,
        cast(worker_id as varchar) as worker_id,
        lower(cast(termination_type as varchar)) as termination_type,
        cast(termination_reason as varchar) as termination_reason,
        lower(cast(termination_type as varchar)) = 'voluntary' as is_voluntary,
        cast(is_regrettable as boolean) as is_regrettable,
        cast(termination_date as date) as termination_date

    from source

)

select * from renamed
