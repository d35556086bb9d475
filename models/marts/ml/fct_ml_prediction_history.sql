-- Predictions of every deployed run over time, for trend lines: one row per
-- deployed (or persisted) run and entity. A run stays after an unfreeze.
with

predictions as (

    select * from {{ ref('stg_ml_store__predictions') }}

),

runs as (

    select * from {{ ref('dim_ml_runs') }}

),

final as (

    select
        predictions.run_id,
        runs.model_key,
        predictions.entity_id,
        runs.run_number,
        predictions.prediction,
        predictions.predicted_class,
        runs.is_shown,
        -- a decision threshold marks a classifier: regression has no window
        case
            when runs.decision_threshold is not null
                then runs.label_horizon_months
        end as horizon_months,
        predictions.sample_date

    from predictions
    inner join runs
        on predictions.run_id = runs.run_id
    where runs.is_deployed

)

select * from final
