{#
    Use the folder's schema as is (staging, intermediate, marts, ...), not
    <target_schema>_<schema>: BI tools and the storyboard read stable names.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
