{#- Rows whose combination of `combination_of_columns` is not unique (what
    dbt_utils.unique_combination_of_columns checks; dbt packages are not available here). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
