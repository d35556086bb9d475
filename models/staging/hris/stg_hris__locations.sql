with

source as (

    select * from {{ source('hris', 'locations') }}

),

renamed as (

    select
        cast(location_id as varchar) as location_id,
        cast(location_name as varchar) as location_name,
        upper(cast(country_code as varchar)) as country_code,
        upper(cast(region as varchar)) as region

    from source

)

select * from renamed
