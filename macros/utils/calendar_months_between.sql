{#
    Whole calendar months from `start_date` to `end_date` (negative when
    end_date is earlier), counting month boundaries only: 2026-01-31 to
    2026-02-28 is 1. Exact for the month-end dates the project samples on,
    and the same on DuckDB and Spark (dbt.datediff(..., 'month') is not:
    Spark's months_between treats month-ends specially).
#}
{% macro calendar_months_between(start_date, end_date) -%}
    (
        (year({{ end_date }}) - year({{ start_date }})) * 12
        + month({{ end_date }}) - month({{ start_date }})
    )
{%- endmacro %}
