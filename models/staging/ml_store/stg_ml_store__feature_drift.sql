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
        drift_status,
        -- Rows stored before the spec could declare drift expected have no
        -- flag: they were judged without a declaration, so not expected.
        coalesce(is_expected_drift, false) as is_expected_drift

    from source

)

select * from renamed
