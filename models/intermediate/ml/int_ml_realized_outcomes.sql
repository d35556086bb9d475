-- What became of every deployed run's predictions: one row per deployed run,
-- prediction and month m since the run's predict date, for m = 0 up to the
-- run's label horizon or the months elapsed to the as-of date, whichever is
-- fewer.
-- Binary (attrition): the outcome known to date is the target's rule cut
-- at m: a voluntary exit ending the spell the worker was in at the sample
-- date, after the sample date and on or before last_day(sample date + m
-- months). The expected probability q_m of an exit within m months follows
-- the run's own curve where it has one: a hazard run predicts P(within h)
-- at several horizons (stg_ml_store__horizon_predictions), and between two
-- of them h_a < m <= h_b the survival S = 1 - P falls at a constant rate:
-- S_m = S_a * (S_b / S_a)^((m - h_a) / (h_b - h_a)), with S = 1 at h = 0.
-- A classifier's one point, p at H = label_horizon_months, gives the same
-- rule with one segment: q_m = 1 - (1 - p)^(m / H). So q_0 = 0 and q_H = p.
-- Regression (expected_pay, horizon 0): only m = 0, with the actual salary at
-- the sample date from the current extract.
{#- Month offsets are generated up to 120 (ten years), portably
    (dbt.generate_series); a run with a longer horizon fails the
    accepted_range test on label_horizon_months. -#}
{%- set max_months = 120 %}

with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

statuses as (

    select * from {{ ref('int_ml_run_statuses') }}

),

predictions as (

    select * from {{ ref('stg_ml_store__predictions') }}

),

horizon_predictions as (

    select * from {{ ref('stg_ml_store__horizon_predictions') }}

),

spells as (

    select * from {{ ref('int_employment_spells') }}

),

snapshots as (

    select * from {{ ref('int_employees_snapshotted_monthly') }}

),

month_offsets as (

    select cast(generated_number as integer) - 1 as months_since_prediction

    from ({{ dbt.generate_series(max_months + 1) }}) as series

),

as_of as (

    select max(snapshot_date) as as_of_date from snapshots

),

deployed_runs as (

    select
        runs.run_id,
        runs.model_key,
        runs.problem_type,
        runs.label_horizon_months,
        {{ calendar_months_between('runs.predict_date', 'as_of.as_of_date') }}
            as months_elapsed,
        runs.predict_date,
        as_of.as_of_date

    from runs
    inner join statuses
        on runs.run_id = statuses.run_id
    cross join as_of
    where statuses.is_deployed

),

run_months as (

    select
        deployed_runs.run_id,
        month_offsets.months_since_prediction,
        cast({{ dbt.dateadd(
            'month',
            'month_offsets.months_since_prediction',
            'deployed_runs.predict_date'
        ) }} as date) as month_date

    from deployed_runs
    inner join month_offsets
        on
            deployed_runs.label_horizon_months
            >= month_offsets.months_since_prediction
            and deployed_runs.months_elapsed
            >= month_offsets.months_since_prediction

),

-- Percentile and risk band within the run, as fct_ml_predictions has them.
run_predictions as (

    select
        predictions.run_id,
        predictions.entity_id,
        deployed_runs.model_key,
        deployed_runs.problem_type,
        predictions.prediction,
        percent_rank() over (
            partition by predictions.run_id order by predictions.prediction
        ) as prediction_percentile,
        deployed_runs.label_horizon_months,
        deployed_runs.months_elapsed,
        predictions.sample_date,
        deployed_runs.predict_date,
        deployed_runs.as_of_date

    from predictions
    inner join deployed_runs
        on predictions.run_id = deployed_runs.run_id

),

-- The points of each prediction's curve: every horizon a hazard run
-- predicted, or a classifier's one (its label horizon).
curve_points as (

    select
        horizon_predictions.run_id,
        horizon_predictions.entity_id,
        horizon_predictions.horizon_months,
        horizon_predictions.prediction

    from horizon_predictions
    inner join deployed_runs
        on horizon_predictions.run_id = deployed_runs.run_id

    union all

    select
        run_predictions.run_id,
        run_predictions.entity_id,
        run_predictions.label_horizon_months as horizon_months,
        run_predictions.prediction

    from run_predictions
    where
        run_predictions.problem_type = 'binary_classification'
        and run_predictions.label_horizon_months > 0
        and not exists (
            select 1
            from horizon_predictions
            where horizon_predictions.run_id = run_predictions.run_id
        )

),

curve_segments as (

    select
        run_id,
        entity_id,
        coalesce(
            lag(horizon_months) over (
                partition by run_id, entity_id order by horizon_months
            ),
            0
        ) as start_months,
        horizon_months as end_months,
        1 - coalesce(
            lag(prediction) over (
                partition by run_id, entity_id order by horizon_months
            ),
            0
        ) as start_survival,
        1 - prediction as end_survival

    from curve_points

),

pro_rated as (

    select
        curve_segments.run_id,
        curve_segments.entity_id,
        run_months.months_since_prediction,
        1 - curve_segments.start_survival * power(
            curve_segments.end_survival
            / nullif(curve_segments.start_survival, 0),
            cast(
                run_months.months_since_prediction
                - curve_segments.start_months as double
            )
            / (curve_segments.end_months - curve_segments.start_months)
        ) as pro_rated_probability

    from curve_segments
    inner join run_months
        on
            curve_segments.run_id = run_months.run_id
            and (
                curve_segments.start_months < run_months.months_since_prediction
                or (
                    curve_segments.start_months = 0
                    and run_months.months_since_prediction = 0
                )
            )
            and curve_segments.end_months >= run_months.months_since_prediction

),

prediction_spells as (

    select
        run_predictions.run_id,
        run_predictions.entity_id,
        spells.termination_type,
        spells.is_voluntary_exit,
        spells.spell_end_date

    from run_predictions
    inner join spells
        on
            run_predictions.entity_id = spells.worker_id
            and {{ is_active_on(
                'spells.spell_start_date',
                'spells.spell_end_date',
                'run_predictions.sample_date'
            ) }}
    where run_predictions.problem_type = 'binary_classification'

),

outcomes as (

    select
        run_predictions.run_id,
        run_predictions.entity_id,
        run_predictions.model_key,
        run_predictions.problem_type,
        case
            when run_predictions.problem_type != 'binary_classification'
                then cast(null as string)
            when
                run_predictions.prediction_percentile
                >= {{ var('risk_band_high_percentile') }}
                then 'high'
            when
                run_predictions.prediction_percentile
                >= {{ var('risk_band_medium_percentile') }}
                then 'medium'
            else 'low'
        end as risk_band,
        case
            when
                prediction_spells.spell_end_date > run_predictions.sample_date
                and prediction_spells.spell_end_date
                <= last_day(run_months.month_date)
                then prediction_spells.termination_type
        end as exit_type_to_date,
        run_months.months_since_prediction,
        run_predictions.label_horizon_months,
        run_predictions.months_elapsed,
        run_predictions.prediction,
        run_predictions.prediction_percentile,
        pro_rated.pro_rated_probability,
        snapshots.base_salary as actual_base_salary,
        case
            when run_predictions.problem_type = 'binary_classification'
                then
                    coalesce(
                        prediction_spells.is_voluntary_exit
                        and prediction_spells.spell_end_date
                        > run_predictions.sample_date
                        and prediction_spells.spell_end_date
                        <= last_day(run_months.month_date),
                        false
                    )
        end as has_voluntary_exit_to_date,
        run_predictions.sample_date,
        run_predictions.predict_date,
        last_day(run_months.month_date) as observed_through_date,
        run_predictions.as_of_date

    from run_predictions
    inner join run_months
        on run_predictions.run_id = run_months.run_id
    left join prediction_spells
        on
            run_predictions.run_id = prediction_spells.run_id
            and run_predictions.entity_id = prediction_spells.entity_id
    left join pro_rated
        on
            run_predictions.run_id = pro_rated.run_id
            and run_predictions.entity_id = pro_rated.entity_id
            and run_months.months_since_prediction
            = pro_rated.months_since_prediction
    left join snapshots
        on
            run_predictions.problem_type = 'regression'
            and run_predictions.entity_id = snapshots.worker_id
            and run_predictions.sample_date = snapshots.snapshot_date

),

final as (

    select
        run_id
        || '-' || entity_id
        || '-' || cast(months_since_prediction as string)
            as realized_outcome_id,
        run_id,
        entity_id,
        model_key,
        problem_type,
        risk_band,
        exit_type_to_date,
        months_since_prediction,
        label_horizon_months,
        months_elapsed,
        prediction,
        prediction_percentile,
        pro_rated_probability,
        case
            when problem_type = 'binary_classification'
                then
                    case when has_voluntary_exit_to_date then 1.0 else 0.0 end
            else actual_base_salary
        end as actual_value,
        has_voluntary_exit_to_date,
        case
            when problem_type = 'binary_classification' then true
            else actual_base_salary is not null
        end as is_outcome_known,
        sample_date,
        predict_date,
        observed_through_date,
        as_of_date

    from outcomes

)

select * from final
