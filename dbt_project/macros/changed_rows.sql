{#
    An incremental model's output when it recomputes whole customers but most of their rows
    come out as they are held: of `new` (a CTE of the recomputed rows), only the rows that
    `{{ this }}` does not hold as they are, and a tombstone for each held row of the
    recomputed customers (`held`, a CTE of those rows) that `new` no longer has. A tombstone
    is the held row's keys with null in every other column; the model's post-hook deletes
    rows with null in a column its real rows never leave null (a count). The keys must not
    be null (a null key matches no held row).
    The model's unique_key must be `keys`, so the delete+insert replaces a changed row and a
    gone one by its keys. Customer cells rewrote 177k rows on a day at a year of history to
    change 26k (BENCHMARKS.md, "Customer cells write only the cells that changed").
#}
{% macro changed_rows(new, held, keys, columns) -%}
    {%- set others = columns | reject('in', keys) | list -%}
    select {% for c in columns %}{{ new }}.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ new }}
    left join {{ held }}
        on {% for k in keys %}{{ held }}.{{ k }} = {{ new }}.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
    where {{ held }}.{{ keys[0] }} is null
        {%- for c in others %}
        or {{ held }}.{{ c }} is distinct from {{ new }}.{{ c }}
        {%- endfor %}
    union all
    select {% for c in columns %}{{ (held ~ '.' ~ c) if c in keys else 'null' }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ held }}
    left join {{ new }}
        on {% for k in keys %}{{ new }}.{{ k }} = {{ held }}.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
    where {{ new }}.{{ keys[0] }} is null
{%- endmacro %}
