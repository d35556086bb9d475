-- The EDA profile, one row per run and feature of the feature model.
with

profiles as (

    select * from {{ ref('stg_ml_store__feature_profiles') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

final as (

    select
        profiles.run_id || '-' || profiles.feature as feature_profile_id,
        profiles.run_id,
        runs.model_key,
        profiles.feature,
        coalesce(profiles.feature_label, profiles.feature) as feature_label,
        profiles.feature_description,
        coalesce(profiles.feature_unit, 'number') as feature_unit,
        profiles.detected_type,
        profiles.treatment,
        profiles.status,
        profiles.reason,
        profiles.association_measure,
        profiles.missing_share,
        profiles.distinct_count,
        profiles.target_association,
        profiles.n_observations,
        profiles.is_leakage_suspect

    from profiles
    inner join runs
        on profiles.run_id = runs.run_id

)

select * from final
