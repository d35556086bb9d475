with

source as (

    select * from {{ source('ml_store', 'warnings') }}

),

renamed as (

    select
        run_id,
        severity,
        code,
        message

    from source

)

select * from renamed
