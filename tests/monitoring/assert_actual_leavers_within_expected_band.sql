-- Alert: a deployed run's actual leavers to date fall outside the 95% band
-- of expected leavers (expected +- 1.96 sqrt(sum q (1 - q))).
-- The rule is decided once, in fct_ml_monitoring_alerts (see its header);
-- this test fails or warns on its rows of kind
-- leavers_outside_expected_band, each naming the run, the model, the figure
-- and the limit. Severity: var monitoring_alert_severity
-- (warn by default; `--vars '{monitoring_alert_severity: error}'` fails the
-- build). `people-ml monitor` prints the same rows and exits 1.
{{ config(severity=var('monitoring_alert_severity')) }}

with

alerts as (

    select * from {{ ref('fct_ml_monitoring_alerts') }}

),

final as (

    select
        alert_id,
        model_key,
        run_id,
        subject,
        months_since_prediction,
        observed_value,
        lower_bound,
        upper_bound,
        threshold,
        alert_message

    from alerts
    where alert_kind = 'leavers_outside_expected_band'

)

select * from final
