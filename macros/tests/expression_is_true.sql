{#
    Fails with the rows for which `expression` is not true. Nulls in the
    expression count as failures unless the expression handles them.
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
