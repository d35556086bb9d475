with

source as (

    select * from {{ source('ml_store', 'gate_results') }}

),

renamed as (

    select
        run_id,
        gate,
        status,
        value,
        ci_low,
        ci_high,
        threshold,
        message

    from source

)

select * from renamed
