with

source as (

    select * from {{ source('hris', 'workers') }}

),

renamed as (

    select
        cast(worker_id as varchar) as worker_id,
        cast(location_id as varchar) as location_id,
        cast(preferred_name as varchar) as preferred_name,
        cast(gender as varchar) as gender,
        cast(ethnicity_group as varchar) as ethnicity_group,
        cast(is_remote as boolean) as is_remote,
        cast(birth_date as date) as birth_date,
        cast(original_hire_date as date) as original_hire_date,
        cast(hire_date as date) as hire_date

    from source

)

select * from renamed
