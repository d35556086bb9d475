-- Outputs in ml_store whose run has no run record: a build stopped after
-- writing them and before its run record (the commit marker). No mart reads
-- them; this warns so they are seen. List them with `people-ml orphans`;
-- remove them with `people-ml orphans --remove`.
{{ config(severity='warn') }}

with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

{% for table in ledger_store_tables() %}
    {{ table }} as (

        select distinct
            run_id,
            '{{ table }}' as store_table

        from {{ source('ml_store', table) }}

    ),

{% endfor %}
outputs as (

    {% for table in ledger_store_tables() %}
        select * from {{ table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        outputs.run_id,
        outputs.store_table

    from outputs
    left join runs
        on outputs.run_id = runs.run_id
    where runs.run_id is null

)

select * from final
