with

source as (

    select * from {{ source('ml_store', 'data_quality') }}

),

renamed as (

    select
        run_id,
        check_name,
        severity,
        column_name,
        row_count,
        message as finding_message,
        fix as finding_fix

    from source

)

select * from renamed
