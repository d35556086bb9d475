with

source as (

    select * from {{ source('ml_store', 'horizon_predictions') }}

),

renamed as (

    select
        run_id,
        entity_id,
        cast(sample_date as date) as sample_date,
        horizon_months,
        prediction

    from source

)

select * from renamed
