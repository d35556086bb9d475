with

source as (

    select * from {{ source('ml_store', 'feature_importance') }}

),

renamed as (

    select
        run_id,
        feature,
        driver_kind,
        direction,
        direction_reason,
        entity_count,
        mean_abs_shap_value,
        importance_lower,
        importance_upper,
        importance_share,
        mean_shap_value,
        value_shap_correlation,
        correlation_lower,
        correlation_upper,
        importance_floor_share,
        bootstrap_replicates

    from source

)

select * from renamed
