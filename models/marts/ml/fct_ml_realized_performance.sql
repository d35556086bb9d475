-- How right the deployed runs were: one row per deployed run, month since
-- its predict date and metric (long format), on the outcomes known to date
-- (int_ml_realized_outcomes).
-- Binary (attrition), every month m = 0 .. min(horizon, months elapsed):
-- actual and expected leavers to date with a 95% band (the count of leavers
-- is a sum of independent Bernoulli(q_m): expected +- 1.96 *
-- sqrt(sum q_m (1 - q_m))), ROC AUC (Mann-Whitney, average ranks for ties)
-- with its Hanley-McNeil interval, PR AUC (average precision), precision
-- and recall of the high risk band; calibration by decile once m = horizon.
-- Regression (expected_pay): MAE, bias and MAPE at m = 0 (the target is the
-- salary at the predict date; the horizon is 0).
with

outcomes as (

    select * from {{ ref('int_ml_realized_outcomes') }}

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

binary_outcomes as (

    select
        *,
        -- Ranks ascending by prediction, ties given their average rank.
        rank() over (
            partition by run_id, months_since_prediction
            order by prediction
        ) + (
            count(*) over (
                partition by run_id, months_since_prediction, prediction
            ) - 1
        ) / 2.0 as prediction_rank,
        least(floor(prediction_percentile * 10) + 1, 10) as decile,
        case when has_voluntary_exit_to_date then 1 else 0 end as is_positive

    from outcomes
    where problem_type = 'binary_classification'

),

binary_counts as (

    select
        run_id,
        months_since_prediction,
        count(*) as row_count,
        sum(is_positive) as positive_count,
        sum(pro_rated_probability) as expected_leavers,
        sqrt(
            sum(pro_rated_probability * (1 - pro_rated_probability))
        ) as expected_leavers_sd,
        sum(is_positive * prediction_rank) as positive_rank_sum,
        sum(case when risk_band = 'high' then 1 else 0 end) as high_band_count,
        sum(
            case when risk_band = 'high' then is_positive else 0 end
        ) as high_band_positive_count

    from binary_outcomes
    group by 1, 2

),

roc_auc as (

    select
        run_id,
        months_since_prediction,
        row_count,
        positive_count,
        row_count - positive_count as negative_count,
        (
            positive_rank_sum - positive_count * (positive_count + 1) / 2.0
        ) / (
            cast(positive_count as double) * (row_count - positive_count)
        ) as auc

    from binary_counts
    where positive_count > 0 and positive_count < row_count

),

-- Hanley & McNeil (1982): the AUC's standard error from A, n1, n0.
roc_auc_errors as (

    select
        run_id,
        months_since_prediction,
        row_count,
        positive_count,
        auc,
        sqrt(
            (
                auc * (1 - auc)
                + (positive_count - 1) * (auc / (2 - auc) - auc * auc)
                + (negative_count - 1)
                * (2 * auc * auc / (1 + auc) - auc * auc)
            ) / (cast(positive_count as double) * negative_count)
        ) as auc_standard_error

    from roc_auc

),

-- Average precision: over the distinct predictions, highest first, the sum
-- of the recall gained at each times the precision at it.
thresholds as (

    select
        run_id,
        months_since_prediction,
        prediction,
        count(*) as threshold_count,
        sum(is_positive) as threshold_positive_count

    from binary_outcomes
    group by 1, 2, 3

),

thresholds_cumulated as (

    select
        *,
        sum(threshold_count) over cumulated as flagged_count,
        sum(threshold_positive_count) over cumulated as flagged_positive_count

    from thresholds
    window cumulated as (
        partition by run_id, months_since_prediction
        order by prediction desc
        rows between unbounded preceding and current row
    )

),

average_precision as (

    select
        run_id,
        months_since_prediction,
        sum(
            threshold_positive_count
            * cast(flagged_positive_count as double) / flagged_count
        ) as precision_recall_sum

    from thresholds_cumulated
    group by 1, 2

),

calibration as (

    select
        run_id,
        months_since_prediction,
        cast(decile as integer) as decile,
        count(*) as row_count,
        sum(is_positive) as positive_count,
        avg(prediction) as mean_predicted,
        avg(cast(is_positive as double)) as observed_rate

    from binary_outcomes
    where months_since_prediction = label_horizon_months
    group by 1, 2, 3

),

regression_errors as (

    select
        run_id,
        months_since_prediction,
        count(*) as row_count,
        avg(abs(actual_value - prediction)) as mae,
        avg(actual_value - prediction) as bias,
        avg(abs(actual_value - prediction) / nullif(abs(actual_value), 0))
            as mape

    from outcomes
    where problem_type = 'regression' and is_outcome_known
    group by 1, 2

),

long_metrics as (

    select
        run_id,
        months_since_prediction,
        'actual_leavers_to_date' as metric_name,
        cast(null as integer) as decile,
        cast(positive_count as double) as metric_value,
        greatest(expected_leavers - 1.96 * expected_leavers_sd, 0)
            as lower_bound,
        expected_leavers + 1.96 * expected_leavers_sd as upper_bound,
        expected_leavers_sd as standard_error,
        row_count,
        positive_count

    from binary_counts

    union all

    select
        run_id,
        months_since_prediction,
        'expected_leavers_to_date' as metric_name,
        cast(null as integer) as decile,
        expected_leavers as metric_value,
        greatest(expected_leavers - 1.96 * expected_leavers_sd, 0)
            as lower_bound,
        expected_leavers + 1.96 * expected_leavers_sd as upper_bound,
        expected_leavers_sd as standard_error,
        row_count,
        positive_count

    from binary_counts

    union all

    select
        run_id,
        months_since_prediction,
        'roc_auc' as metric_name,
        cast(null as integer) as decile,
        auc as metric_value,
        greatest(auc - 1.96 * auc_standard_error, 0) as lower_bound,
        least(auc + 1.96 * auc_standard_error, 1) as upper_bound,
        auc_standard_error as standard_error,
        row_count,
        positive_count

    from roc_auc_errors

    union all

    select
        binary_counts.run_id,
        binary_counts.months_since_prediction,
        'pr_auc' as metric_name,
        cast(null as integer) as decile,
        average_precision.precision_recall_sum
        / binary_counts.positive_count as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        binary_counts.row_count,
        binary_counts.positive_count

    from binary_counts
    inner join average_precision
        on
            binary_counts.run_id = average_precision.run_id
            and binary_counts.months_since_prediction
            = average_precision.months_since_prediction
    where binary_counts.positive_count > 0

    union all

    select
        run_id,
        months_since_prediction,
        'high_band_precision' as metric_name,
        cast(null as integer) as decile,
        cast(high_band_positive_count as double)
        / high_band_count as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        positive_count

    from binary_counts
    where positive_count > 0 and high_band_count > 0

    union all

    select
        run_id,
        months_since_prediction,
        'high_band_recall' as metric_name,
        cast(null as integer) as decile,
        cast(high_band_positive_count as double)
        / positive_count as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        positive_count

    from binary_counts
    where positive_count > 0

    union all

    select
        run_id,
        months_since_prediction,
        'calibration_mean_predicted' as metric_name,
        decile,
        mean_predicted as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        positive_count

    from calibration

    union all

    select
        run_id,
        months_since_prediction,
        'calibration_observed_rate' as metric_name,
        decile,
        observed_rate as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        positive_count

    from calibration

    union all

    select
        run_id,
        months_since_prediction,
        'mae' as metric_name,
        cast(null as integer) as decile,
        mae as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        cast(null as bigint) as positive_count

    from regression_errors

    union all

    select
        run_id,
        months_since_prediction,
        'bias' as metric_name,
        cast(null as integer) as decile,
        bias as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        cast(null as bigint) as positive_count

    from regression_errors

    union all

    select
        run_id,
        months_since_prediction,
        'mape' as metric_name,
        cast(null as integer) as decile,
        mape as metric_value,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as double) as standard_error,
        row_count,
        cast(null as bigint) as positive_count

    from regression_errors

),

run_months as (

    select distinct
        run_id,
        model_key,
        problem_type,
        months_since_prediction,
        label_horizon_months,
        months_elapsed,
        predict_date,
        observed_through_date,
        as_of_date

    from outcomes

),

test_metrics as (

    select
        run_id,
        metric,
        value

    from metrics
    where
        split = 'test'
        and class_label is null
        and metric in ('roc_auc', 'pr_auc', 'mae')

),

roc_auc_gates as (

    select
        run_id,
        threshold

    from gates
    where gate = 'min_test_roc_auc'

),

final as (

    select
        long_metrics.run_id
        || '-' || cast(long_metrics.months_since_prediction as string)
        || '-' || long_metrics.metric_name
        || coalesce('-' || cast(long_metrics.decile as string), '')
            as realized_performance_id,
        long_metrics.run_id,
        run_months.model_key,
        run_months.problem_type,
        long_metrics.metric_name,
        cast(long_metrics.months_since_prediction as integer)
            as months_since_prediction,
        cast(run_months.label_horizon_months as integer)
            as label_horizon_months,
        cast(run_months.months_elapsed as integer) as months_elapsed,
        long_metrics.decile,
        cast(long_metrics.metric_value as double) as metric_value,
        cast(long_metrics.lower_bound as double) as lower_bound,
        cast(long_metrics.upper_bound as double) as upper_bound,
        cast(long_metrics.standard_error as double) as standard_error,
        cast(test_metrics.value as double) as test_metric_value,
        cast(
            case
                when long_metrics.metric_name = 'roc_auc'
                    then roc_auc_gates.threshold
            end as double
        ) as gate_threshold,
        cast(long_metrics.row_count as bigint) as row_count,
        cast(long_metrics.positive_count as bigint) as positive_count,
        long_metrics.months_since_prediction
        >= run_months.label_horizon_months as is_horizon_complete,
        long_metrics.months_since_prediction = least(
            run_months.label_horizon_months, run_months.months_elapsed
        ) as is_latest_month,
        run_months.months_elapsed
        <= run_months.label_horizon_months as is_monitored,
        shown.run_id is not null as is_shown_run,
        run_months.predict_date,
        run_months.observed_through_date,
        run_months.as_of_date

    from long_metrics
    inner join run_months
        on
            long_metrics.run_id = run_months.run_id
            and long_metrics.months_since_prediction
            = run_months.months_since_prediction
    left join test_metrics
        on
            long_metrics.run_id = test_metrics.run_id
            and long_metrics.metric_name = test_metrics.metric
    left join roc_auc_gates
        on long_metrics.run_id = roc_auc_gates.run_id
    left join shown
        on long_metrics.run_id = shown.run_id

)

select * from final
