{#- Rows for which `expression` is not true (what dbt_utils.expression_is_true checks). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
