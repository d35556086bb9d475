{#
    An ML model's run in this build did not fail: fails with the row of
    ml_store.run_failures the model recorded (the model, the error and its
    fix). A failing run appends no run record, so the other models' runs,
    the marts and the publication still build; this test fails the build
    afterwards, naming the model. It depends on the publication too, so it
    runs last and holds nothing back (dbt holds back a node for a test only
    when the node descends from every model the test reads).
#}
{% test ml_run_succeeded(model) %}

-- depends_on: {{ ref('published_marts') }}
select
    dbt_model,
    model_key,
    error_type,
    message,
    failed_at

from {{ source('ml_store', 'run_failures') }}
where
    invocation_id = '{{ invocation_id }}'
    and dbt_model = '{{ model.identifier }}'

{% endtest %}
