-- Per-level effects, one row per run, ordinal or categorical feature and
-- level: the mean SHAP value of the people at that level of the feature
-- (ratings 1 to 5, job levels, departments, a missing value), with its
-- bootstrap interval and head count, so a U-shape shows where a single
-- direction cannot (people_ml.ml._drivers). Continuous features have no
-- rows; runs recorded before effects were computed have none either.
with

feature_effects as (

    select * from {{ ref('stg_ml_store__feature_effects') }}

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

final as (

    select
        feature_effects.run_id
        || '-' || feature_effects.feature
        || '-' || cast(feature_effects.level_order as string)
            as feature_effect_id,
        feature_effects.run_id,
        runs.model_key,
        feature_effects.feature,
        coalesce(
            labels.feature_label, feature_effects.feature
        ) as feature_label,
        feature_importance.driver_kind,
        feature_effects.level_label,
        feature_effects.level_order,
        feature_effects.entity_count,
        cast(feature_effects.entity_count as double) / nullif(
            sum(feature_effects.entity_count) over (
                partition by feature_effects.run_id, feature_effects.feature
            ),
            0
        ) as entity_share,
        feature_effects.mean_shap_value,
        feature_effects.mean_shap_lower,
        feature_effects.mean_shap_upper,
        feature_effects.is_missing_level,
        feature_effects.is_other_level

    from feature_effects
    inner join runs
        on feature_effects.run_id = runs.run_id
    left join feature_importance
        on
            feature_effects.run_id = feature_importance.run_id
            and feature_effects.feature = feature_importance.feature
    left join labels
        on
            feature_effects.run_id = labels.run_id
            and feature_effects.feature = labels.feature

)

select * from final
