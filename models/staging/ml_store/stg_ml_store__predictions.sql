with

source as (

    select * from {{ source('ml_store', 'predictions') }}

),

renamed as (

    select
        run_id,
        entity_id,
        cast(sample_date as date) as sample_date,
        prediction,
        predicted_class,
        base_value,
        model_output

    from source

)

select * from renamed
