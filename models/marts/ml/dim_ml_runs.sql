-- One row per run of every ML model: its status and the latest decision's
-- who, when and why, how it was made, its headline test-period metrics, and
-- whether BI shows it, and the verdict of its deployment gates.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

statuses as (

    select * from {{ ref('int_ml_run_statuses') }}

),

shown as (

    select * from {{ ref('int_ml_runs_shown') }}

),

metrics as (

    select * from {{ ref('stg_ml_store__metrics') }}

),

gates as (

    select * from {{ ref('stg_ml_store__gate_results') }}

),

gate_summary as (

    select
        run_id,
        count(*) as gate_count,
        count(case when status = 'fail' then 1 end) as failed_gate_count,
        count(case when status = 'warn' then 1 end) as warned_gate_count

    from gates
    group by 1

),

headline_metrics as (

    select
        run_id,
        max(value) filter (where metric = 'roc_auc') as test_roc_auc,
        max(value) filter (where metric = 'pr_auc') as test_pr_auc,
        max(value) filter (
            where metric = 'f1' and class_label = '1'
        ) as test_f1_positive_class,
        max(value) filter (where metric = 'mae') as test_mae,
        max(value) filter (where metric = 'rmse') as test_rmse,
        max(value) filter (where metric = 'r2') as test_r2

    from metrics
    where split = 'test'
    group by 1

),

final as (

    select
        runs.run_id,
        runs.model_key,
        runs.frozen_run_id,
        runs.invocation_id,
        statuses.status,
        statuses.decided_by,
        statuses.decision_reason,
        runs.mode,
        runs.algorithm,
        runs.hyperparameters,
        runs.selection_metric,
        runs.calibration,
        runs.artifact_sha256,
        runs.run_number,
        runs.n_train_rows,
        runs.n_test_rows,
        runs.n_predict_rows,
        runs.cv_score,
        runs.decision_threshold,
        headline_metrics.test_roc_auc,
        headline_metrics.test_pr_auc,
        headline_metrics.test_f1_positive_class,
        headline_metrics.test_mae,
        headline_metrics.test_rmse,
        headline_metrics.test_r2,
        coalesce(gate_summary.gate_count, 0) as gate_count,
        coalesce(gate_summary.failed_gate_count, 0) as failed_gate_count,
        coalesce(gate_summary.warned_gate_count, 0) as warned_gate_count,
        case
            when gate_summary.failed_gate_count > 0 then 'fail'
            when gate_summary.warned_gate_count > 0 then 'warn'
            when gate_summary.gate_count > 0 then 'pass'
            else 'none'
        end as gate_status,
        runs.fit_seconds,
        runs.explain_seconds,
        runs.shap_rows_per_second,
        statuses.is_deployed,
        statuses.is_frozen,
        shown.run_id is not null as is_shown,
        runs.train_start_date,
        runs.train_end_date,
        runs.test_date,
        runs.predict_date,
        runs.label_horizon_months,
        statuses.decided_at,
        runs.created_at

    from runs
    inner join statuses
        on runs.run_id = statuses.run_id
    left join shown
        on runs.run_id = shown.run_id
    left join headline_metrics
        on runs.run_id = headline_metrics.run_id
    left join gate_summary
        on runs.run_id = gate_summary.run_id

)

select * from final
