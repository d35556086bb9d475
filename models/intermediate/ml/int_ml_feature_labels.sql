-- One row per run and feature: the feature in plain words (label,
-- description, unit) as its ML model's spec gave them when the run was made
-- (`feature_labels`, people_ml.ml.FeatureText; a feature the spec does not
-- describe has its name with spaces). Runs recorded before labels existed
-- show the feature's name. Every mart that names a feature joins this.
with

profiles as (

    select * from {{ ref('stg_ml_store__feature_profiles') }}

),

final as (

    select
        run_id,
        feature,
        coalesce(feature_label, feature) as feature_label,
        coalesce(feature_description, '') as feature_description,
        coalesce(feature_unit, 'number') as feature_unit

    from profiles

)

select * from final
