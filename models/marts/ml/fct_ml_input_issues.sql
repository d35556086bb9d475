-- Input the model never saw, per run: one row per run, feature and kind of
-- issue (unseen categories, values outside the training range, nulls where
-- training had none, columns gone or new since the model's previous run),
-- with the rows affected, examples and what to do.
with

issues as (

    select * from {{ ref('stg_ml_store__input_issues') }}

),

runs as (

    select * from {{ ref('int_ml_runs_monitored') }}

),

final as (

    select
        issues.run_id,
        runs.model_key,
        runs.run_number,
        runs.predict_date,
        runs.is_latest_run,
        runs.is_shown_run,
        issues.feature,
        issues.issue,
        issues.severity,
        issues.row_count,
        issues.row_share,
        issues.examples,
        issues.baseline_run_id,
        issues.issue_message

    from issues
    inner join runs
        on issues.run_id = runs.run_id

)

select * from final
