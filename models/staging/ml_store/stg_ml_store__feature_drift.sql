with

source as (

    select * from {{ source('ml_store', 'feature_drift') }}

),

renamed as (

    select
        run_id,
        feature,
        feature_kind,
        baseline,
        baseline_run_id,
        statistic,
        value as statistic_value,
        p_value,
        reference_rows,
        current_rows,
        warn_threshold,
        alert_threshold,
        drift_status

    from source

)

select * from renamed
