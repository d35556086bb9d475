-- Subpopulation and fairness analysis of every recorded run: one row per
-- run, split (test: outcomes known; predict: what BI will show), attribute
-- (protected, or an org slice), group and metric, with its 95% bootstrap
-- interval. Groups below the model's minimum size are kept as rows marked
-- suppressed, with no figures: never shown. Disparities compare each group
-- with the largest (the reference group); an attribute's summary row has no
-- group.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

group_metrics as (

    select * from {{ ref('stg_ml_store__group_metrics') }}

),

final as (

    select
        group_metrics.run_id,
        runs.model_key,
        group_metrics.split,
        group_metrics.attribute,
        group_metrics.attribute_kind,
        group_metrics.group_value,
        group_metrics.metric,
        case
            when group_metrics.is_suppressed then cast(null as double)
            else group_metrics.value
        end as metric_value,
        case
            when group_metrics.is_suppressed then cast(null as double)
            else group_metrics.ci_low
        end as ci_low,
        case
            when group_metrics.is_suppressed then cast(null as double)
            else group_metrics.ci_high
        end as ci_high,
        case
            when group_metrics.is_suppressed then cast(null as bigint)
            else group_metrics.n_rows
        end as group_size,
        group_metrics.is_suppressed,
        group_metrics.min_group_size,
        group_metrics.is_reference_group,
        group_metrics.group_value is null as is_summary

    from group_metrics
    inner join runs
        on group_metrics.run_id = runs.run_id

)

select * from final
