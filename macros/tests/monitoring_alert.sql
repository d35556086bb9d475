{#
    A monitoring alert: fails (or warns) with the rows of fct_ml_monitoring_alerts
    of one kind, each naming the run, the model, the figure and the limit. The
    rule itself is decided once, in that mart. Severity: the var
    monitoring_alert_severity (warn by default; `--vars
    '{monitoring_alert_severity: error}'` fails the build). `people-ml
    monitor` prints the same rows and exits 1.
#}
{% test monitoring_alert(model, alert_kind) %}

{{ config(severity=var('monitoring_alert_severity')) }}

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

from {{ model }}
where alert_kind = '{{ alert_kind }}'

{% endtest %}
