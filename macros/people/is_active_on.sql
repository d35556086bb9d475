{#
    True when an employment spell covers `on_date`: started on or before it and
    not terminated by it. termination_date is the last day worked, so someone
    terminated on a month-end is not in that month-end's headcount.
#}
{% macro is_active_on(spell_start_date, spell_end_date, on_date) -%}
    ({{ spell_start_date }} <= {{ on_date }}
    and ({{ spell_end_date }} is null or {{ spell_end_date }} > {{ on_date }}))
{%- endmacro %}
