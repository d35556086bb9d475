-- The shown run's SHAP drivers, one row per ML model, entity and feature: the
-- entity's value, the SHAP value, whether it raises or lowers the prediction,
-- and its rank among the entity's drivers by absolute SHAP value.
with

shap_values as (

    select * from {{ ref('stg_ml_store__shap_values') }}

),

labels as (

    select * from {{ ref('int_ml_feature_labels') }}

),

shown as (

    select * from {{ ref('int_ml_runs_shown') }}

),

ranked as (

    select
        shap_values.run_id,
        shown.model_key,
        shap_values.entity_id,
        shap_values.feature,
        coalesce(labels.feature_label, shap_values.feature) as feature_label,
        shap_values.feature_value,
        shap_values.feature_value_numeric,
        shap_values.shap_value,
        row_number() over (
            partition by shap_values.run_id, shap_values.entity_id
            order by abs(shap_values.shap_value) desc, shap_values.feature asc
        ) as driver_rank

    from shap_values
    inner join shown
        on shap_values.run_id = shown.run_id
    left join labels
        on
            shap_values.run_id = labels.run_id
            and shap_values.feature = labels.feature

),

final as (

    select
        model_key || '-' || entity_id || '-' || feature as prediction_driver_id,
        run_id,
        model_key,
        entity_id as worker_id,
        feature,
        feature_label,
        feature_value,
        case
            when shap_value > 0 then 'raises'
            when shap_value < 0 then 'lowers'
            else 'neutral'
        end as direction,
        feature_value_numeric,
        shap_value,
        driver_rank,
        driver_rank <= {{ var('top_drivers_per_person') }} as is_top_driver

    from ranked

)

select * from final
