-- Global importance, one row per run and feature: mean absolute SHAP value,
-- its rank, and the direction of the effect: for numeric features the sign
-- of the correlation between the feature's value and its SHAP value (higher
-- values raise or lower the prediction); for categories, mixed.
with

shap_values as (

    select * from {{ ref('stg_ml_store__shap_values') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

aggregated as (

    select
        run_id,
        feature,
        avg(abs(shap_value)) as mean_abs_shap_value,
        avg(shap_value) as mean_shap_value,
        corr(feature_value_numeric, shap_value) as value_shap_correlation,
        count(*) as entity_count

    from shap_values
    group by 1, 2

),

final as (

    select
        aggregated.run_id || '-' || aggregated.feature as feature_importance_id,
        aggregated.run_id,
        runs.model_key,
        aggregated.feature,
        case
            when aggregated.value_shap_correlation > 0.1 then 'higher raises'
            when aggregated.value_shap_correlation < -0.1 then 'higher lowers'
            else 'mixed'
        end as direction,
        aggregated.mean_abs_shap_value,
        aggregated.mean_shap_value,
        aggregated.value_shap_correlation,
        aggregated.entity_count,
        row_number() over (
            partition by aggregated.run_id
            order by aggregated.mean_abs_shap_value desc, aggregated.feature asc
        ) as importance_rank

    from aggregated
    inner join runs
        on aggregated.run_id = runs.run_id

)

select * from final
