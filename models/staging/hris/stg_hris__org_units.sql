with

source as (

    select * from {{ source('hris', 'org_units') }}

),

renamed as (

    select
        cast(org_unit_id as varchar) as org_unit_id,
        cast(parent_org_unit_id as varchar) as parent_org_unit_id,
        cast(org_unit_name as varchar) as org_unit_name,
        lower(cast(org_unit_type as varchar)) as org_unit_type

    from source

)

select * from renamed
