with

source as (

    select * from {{ source('ml_store', 'shap_values') }}

),

renamed as (

    select
        run_id,
        entity_id,
        feature,
        feature_value,
        try_cast(feature_value as double) as feature_value_numeric,
        shap_value

    from source

)

select * from renamed
