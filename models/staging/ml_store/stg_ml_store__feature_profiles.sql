with

source as (

    select * from {{ source('ml_store', 'feature_profiles') }}

),

renamed as (

    select
        run_id,
        feature,
        detected_type,
        treatment,
        status,
        reason,
        association_measure,
        missing_share,
        distinct_count,
        target_association,
        n_observations,
        is_leakage_suspect,
        feature_label,
        feature_description,
        feature_unit

    from source

)

select * from renamed
