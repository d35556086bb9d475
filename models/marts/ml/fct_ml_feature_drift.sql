-- Feature drift of every run: one row per run, feature and statistic. Each
-- feature of the model is compared with the model's training data (for a
-- scored run, the frozen run's, from the bins stored in its pickle): PSI for
-- every feature, KS for numeric and Jensen-Shannon distance for categorical
-- ones; the run's predictions are compared with the model's previous run's.
-- PSI is judged against the thresholds in the model's spec (`monitoring:`),
-- which each row carries; KS and JS are evidence beside it. A feature the
-- spec declares expected to drift (`monitoring.expected_drift`) is flagged
-- (is_expected_drift) and judged `expected` instead of warn or alert.
with

drift as (

    select * from {{ ref('stg_ml_store__feature_drift') }}

),

labels as (

    select * from {{ ref('int_ml_feature_labels') }}

),

runs as (

    select * from {{ ref('int_ml_runs_monitored') }}

),

final as (

    select
        drift.run_id,
        runs.model_key,
        runs.run_number,
        runs.mode,
        runs.predict_date,
        runs.is_latest_run,
        runs.is_shown_run,
        runs.is_model_deployed,
        drift.feature,
        coalesce(
            labels.feature_label,
            case when drift.feature = 'prediction' then 'The predictions' end,
            drift.feature
        ) as feature_label,
        drift.feature_kind,
        drift.baseline,
        drift.baseline_run_id,
        drift.statistic,
        drift.statistic_value,
        drift.p_value,
        drift.reference_rows,
        drift.current_rows,
        drift.warn_threshold,
        drift.alert_threshold,
        drift.drift_status,
        drift.is_expected_drift

    from drift
    inner join runs
        on drift.run_id = runs.run_id
    left join labels
        on
            drift.run_id = labels.run_id
            and drift.feature = labels.feature

)

select * from final
