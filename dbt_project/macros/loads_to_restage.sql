{#
    The loads an incremental staging table re-stages (delete+insert on _load_id): every load
    of `raw` published after `reprocess_since.loaded_after` (the model's CTE) and, for a
    model with money in another currency (`money` given), every load holding a foreign
    amount dated (`day`) on or after the earliest FX rate loaded in that window (a CTE
    `late_fx_from` the macro writes), plus every load the model holds whose local amount
    (`staged_local`) still has no reporting-currency value (`staged_usd`).
    Writes CTEs (`late_fx_from` when money, `loads_to_process`), each followed by a comma.
#}
{% macro loads_to_restage(raw, money=none, currency=none, day=none, staged_local=none, staged_usd=none) -%}
{%- if money %}
late_fx_from as (
    select min(rate_date) as rate_date
    from {{ ref('stg_finance__fx_rates') }}
    where _loaded_at > (select loaded_after from reprocess_since)
),
{% endif %}
loads_to_process as (
    select distinct _load_id
    from {{ raw }}
    where _loaded_at > (select loaded_after from reprocess_since)
    {%- if money %}
        or ({{ money }} is not null
            and {{ currency }} <> '{{ var("reporting_currency", "USD") }}'
            and {{ day }} >= {{ dbt.dateadd('day', -1, '(select rate_date from late_fx_from)') }})
    union
    select distinct _load_id
    from {{ this }}
    where {{ staged_local }} is not null and {{ staged_usd }} is null
    {%- endif %}
),
{%- endmacro %}
