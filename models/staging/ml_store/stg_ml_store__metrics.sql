with

source as (

    select * from {{ source('ml_store', 'metrics') }}

),

renamed as (

    select
        run_id,
        split,
        metric,
        class_label,
        value

    from source

)

select * from renamed
