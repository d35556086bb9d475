{#
    The age band of an age in whole years: the protected age attribute the
    fairness review groups by (bands rather than single years, so groups are
    large enough to show). One home for the edges.
#}
{% macro age_band(age_years) -%}
    case
        when {{ age_years }} is null then cast(null as string)
        when {{ age_years }} < 30 then 'under 30'
        when {{ age_years }} < 40 then '30-39'
        when {{ age_years }} < 50 then '40-49'
        else '50 and over'
    end
{%- endmacro %}
