{#
    Fail the running query with a message: the one place engines differ
    (DuckDB `error()`, Spark `raise_error()`). Use it as an expression that
    is evaluated only on the rows that must fail, e.g.
    `case when <broken> then {{ fail_query("'...' || col") }} end`.
#}
{% macro fail_query(message_sql) -%}
    {{ return(adapter.dispatch('fail_query', 'people_ml')(message_sql)) }}
{%- endmacro %}

{% macro default__fail_query(message_sql) -%}
    raise_error({{ message_sql }})
{%- endmacro %}

{% macro duckdb__fail_query(message_sql) -%}
    error({{ message_sql }})
{%- endmacro %}
