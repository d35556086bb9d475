-- The bins behind each PSI: one row per run, feature and bin, the training
-- reference's share beside the predict set's, for a drill-down chart.
with

bins as (

    select * from {{ ref('stg_ml_store__drift_bins') }}

),

runs as (

    select * from {{ ref('int_ml_runs_monitored') }}

),

final as (

    select
        bins.run_id,
        runs.model_key,
        bins.feature,
        bins.bin_number,
        bins.bin_label,
        bins.lower_bound,
        bins.upper_bound,
        bins.reference_share,
        bins.current_share,
        bins.current_rows

    from bins
    inner join runs
        on bins.run_id = runs.run_id

)

select * from final
