with

source as (

    select * from {{ source('hris', 'job_history') }}

),

renamed as (

    select
        cast(job_history_id as varchar) as job_history_id,
        cast(worker_id as varchar) as worker_id,
        cast(org_unit_id as varchar) as org_unit_id,
        cast(manager_worker_id as varchar) as manager_worker_id,
        lower(cast(event_type as varchar)) as event_type,
        cast(job_family as varchar) as job_family,
        cast(job_level as integer) as job_level,
        cast(fte as double) as fte,
        lower(cast(event_type as varchar)) in ('hire', 'rehire')
            as is_spell_start,
        cast(effective_date as date) as effective_date

    from source

)

select * from renamed
