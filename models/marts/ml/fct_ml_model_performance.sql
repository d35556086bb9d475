-- Model performance, one row per run, split, metric and class (class is
-- 'all' for metrics of the whole model).
with

metrics as (

    select * from {{ ref('stg_ml_store__metrics') }}

),

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

final as (

    select
        metrics.run_id || '-' || metrics.split || '-' || metrics.metric
        || '-' || coalesce(metrics.class_label, 'all') as model_performance_id,
        metrics.run_id,
        runs.model_key,
        metrics.split,
        metrics.metric,
        coalesce(metrics.class_label, 'all') as class_label,
        metrics.value

    from metrics
    inner join runs
        on metrics.run_id = runs.run_id

)

select * from final
