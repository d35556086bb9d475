-- Global importance, one row per run and feature: mean absolute SHAP value,
-- its share of the run's total and its rank, with the bootstrap interval and
-- the direction the run computed (people_ml.ml._drivers: a direction only
-- where the explained rows support one, 'unclear' below the importance
-- floor, 'mixed' when the effect depends on the level). Runs recorded before
-- drivers had intervals still appear: their intervals are null and their
-- direction is the sign of the value-SHAP correlation alone.
with

shap_values as (

    select * from {{ ref('stg_ml_store__shap_values') }}

),

feature_importance as (

    select * from {{ ref('stg_ml_store__feature_importance') }}

),

labels as (

    select * from {{ ref('int_ml_feature_labels') }}

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
        coalesce(labels.feature_label, aggregated.feature) as feature_label,
        labels.feature_description,
        coalesce(labels.feature_unit, 'number') as feature_unit,
        feature_importance.driver_kind,
        case
            when feature_importance.run_id is not null
                then feature_importance.direction
            when aggregated.value_shap_correlation > 0.1 then 'higher raises'
            when aggregated.value_shap_correlation < -0.1 then 'higher lowers'
            when aggregated.value_shap_correlation is null then 'mixed'
            else 'unclear'
        end as direction,
        coalesce(
            feature_importance.direction_reason,
            'recorded before drivers had intervals: the sign of the '
            || 'value-SHAP correlation alone'
        ) as direction_reason,
        aggregated.mean_abs_shap_value,
        feature_importance.importance_lower,
        feature_importance.importance_upper,
        aggregated.mean_abs_shap_value / nullif(
            sum(aggregated.mean_abs_shap_value)
                over (partition by aggregated.run_id),
            0
        ) as importance_share,
        aggregated.mean_shap_value,
        case
            when feature_importance.run_id is not null
                then feature_importance.value_shap_correlation
            else aggregated.value_shap_correlation
        end as value_shap_correlation,
        feature_importance.correlation_lower,
        feature_importance.correlation_upper,
        aggregated.entity_count,
        row_number() over (
            partition by aggregated.run_id
            order by aggregated.mean_abs_shap_value desc, aggregated.feature asc
        ) as importance_rank

    from aggregated
    inner join runs
        on aggregated.run_id = runs.run_id
    left join feature_importance
        on
            aggregated.run_id = feature_importance.run_id
            and aggregated.feature = feature_importance.feature
    left join labels
        on
            aggregated.run_id = labels.run_id
            and aggregated.feature = labels.feature

)

select * from final
