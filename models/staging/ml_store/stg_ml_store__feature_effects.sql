with

source as (

    select * from {{ source('ml_store', 'feature_effects') }}

),

renamed as (

    select
        run_id,
        feature,
        level_label,
        level_order,
        entity_count,
        mean_shap_value,
        mean_shap_lower,
        mean_shap_upper,
        is_missing_level,
        is_other_level

    from source

)

select * from renamed
