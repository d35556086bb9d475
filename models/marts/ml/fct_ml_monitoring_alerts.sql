-- The alerts firing now, one row per alert: the one place an alert is
-- decided. The dbt alert tests (monitoring_alert, one per kind, declared in
-- the YAML) select from here by kind, `people-ml monitor` prints these rows
-- and exits non-zero, and the storyboard's Monitoring page lists them.
-- - feature_drift: a deployed model's latest run has a feature whose PSI
--   against the model's training data is above the model's alert threshold
--   (judged by the run with the thresholds in its spec: drift_status), unless
--   the spec declares that feature's drift expected (is_expected_drift).
-- - realized_roc_auc_below_gate: per model, the deployed run with the most
--   months of outcomes still inside its window (months since its predict
--   date <= its horizon), whose realized ROC AUC at its latest month is below
--   its review gate min_test_roc_auc beyond doubt:
--   the upper bound of the AUC's 95% interval (Hanley-McNeil) is below the
--   gate, with at least `monitoring_min_leavers_known` leavers known.
-- - leavers_outside_expected_band: that run's actual leavers to date fall
--   outside the 95% band of expected leavers (expected +- 1.96 *
--   sqrt(sum q (1 - q)), the count being a sum of independent Bernoulli(q)).
with

drift as (

    select * from {{ ref('fct_ml_feature_drift') }}

),

performance as (

    select * from {{ ref('fct_ml_realized_performance') }}

),

drift_alerts as (

    select
        'feature_drift' as alert_kind,
        model_key,
        run_id,
        feature as subject,
        cast(null as integer) as months_since_prediction,
        statistic_value as observed_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        alert_threshold as threshold,
        predict_date as observed_through_date,
        'run ' || run_id || ' (' || model_key || '): ' || feature
        || ' has PSI ' || cast(round(statistic_value, 3) as string)
        || ' against the training data of run ' || baseline_run_id
        || ', above the alert threshold '
        || cast(alert_threshold as string) as alert_message

    from drift
    where
        is_latest_run
        and is_model_deployed
        and statistic = 'psi'
        and feature_kind != 'prediction'
        and drift_status = 'alert'
        and not is_expected_drift

),

latest_months as (

    select
        *,
        dense_rank() over (
            partition by model_key
            order by
                months_since_prediction desc, predict_date desc, run_id desc
        ) as maturity_rank

    from performance
    where
        is_monitored
        and is_latest_month
        and decile is null

),

-- Per model, the deployed run with the most months of outcomes inside its
-- window: the most evidence. Younger runs of a frozen model see the same
-- exits over fewer months, so judging each would raise one correlated alert
-- per run for a single event.
watched as (

    select * from latest_months
    where maturity_rank = 1

),

expected_leavers as (

    select
        run_id,
        metric_value as expected_leavers

    from watched
    where metric_name = 'expected_leavers_to_date'

),

roc_auc_alerts as (

    select
        'realized_roc_auc_below_gate' as alert_kind,
        model_key,
        run_id,
        metric_name as subject,
        months_since_prediction,
        metric_value as observed_value,
        lower_bound,
        upper_bound,
        gate_threshold as threshold,
        observed_through_date,
        'run ' || run_id || ' (' || model_key || '), month '
        || cast(months_since_prediction as string)
        || ' of ' || cast(label_horizon_months as string)
        || ': realized ROC AUC ' || cast(round(metric_value, 3) as string)
        || ' (95% interval ' || cast(round(lower_bound, 3) as string)
        || ' .. ' || cast(round(upper_bound, 3) as string)
        || ', ' || cast(positive_count as string)
        || ' leavers known) is below the review gate min_test_roc_auc '
        || cast(gate_threshold as string) as alert_message

    from watched
    where
        metric_name = 'roc_auc'
        and upper_bound < gate_threshold
        and positive_count >= {{ var('monitoring_min_leavers_known') }}

),

leaver_alerts as (

    select
        'leavers_outside_expected_band' as alert_kind,
        watched.model_key,
        watched.run_id,
        watched.metric_name as subject,
        watched.months_since_prediction,
        watched.metric_value as observed_value,
        watched.lower_bound,
        watched.upper_bound,
        expected_leavers.expected_leavers as threshold,
        watched.observed_through_date,
        'run ' || watched.run_id || ' (' || watched.model_key || '), month '
        || cast(watched.months_since_prediction as string)
        || ' of ' || cast(watched.label_horizon_months as string)
        || ': ' || cast(cast(watched.metric_value as bigint) as string)
        || ' actual leavers to date, '
        || case
            when watched.metric_value > watched.upper_bound then 'above'
            else 'below'
        end
        || ' the 95% band of expected leavers '
        || cast(round(expected_leavers.expected_leavers, 1) as string)
        || ' [' || cast(round(watched.lower_bound, 1) as string)
        || ', ' || cast(round(watched.upper_bound, 1) as string)
        || ']' as alert_message

    from watched
    inner join expected_leavers
        on watched.run_id = expected_leavers.run_id
    where
        watched.metric_name = 'actual_leavers_to_date'
        and (
            watched.metric_value < watched.lower_bound
            or watched.metric_value > watched.upper_bound
        )

),

unioned as (

    select * from drift_alerts
    union all
    select * from roc_auc_alerts
    union all
    select * from leaver_alerts

),

final as (

    select
        alert_kind || '-' || run_id || '-' || subject as alert_id,
        alert_kind,
        model_key,
        run_id,
        subject,
        months_since_prediction,
        observed_value,
        lower_bound,
        upper_bound,
        threshold,
        observed_through_date,
        alert_message

    from unioned

)

select * from final
