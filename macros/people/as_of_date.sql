{#
    The as-of date of the HRIS extract: the `as_of_date` var when set, else the
    month-end of the latest event in the extract.
#}
{% macro as_of_date_sql() -%}
    {%- if var('as_of_date') -%}
        (select cast('{{ var("as_of_date") }}' as date))
    {%- else -%}
        (
            select last_day(max(event_date))
            from (
                select effective_date as event_date
                from {{ ref('stg_hris__job_history') }}
                union all
                select effective_date as event_date
                from {{ ref('stg_hris__compensation_history') }}
                union all
                select termination_date as event_date
                from {{ ref('stg_hris__terminations') }}
            ) as hris_events
        )
    {%- endif -%}
{%- endmacro %}
