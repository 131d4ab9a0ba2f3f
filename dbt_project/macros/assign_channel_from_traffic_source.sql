{#
    Every row of `relation` plus `channel_id`: the registry channel that owns the traffic,
    from seeds/channel_source_mapping.csv (rows for `source_system`). '*' matches any source
    or medium and an empty landing_path_prefix any landing page; the most specific matching
    row wins (exact source, exact medium, longest path prefix). Matching ignores case.
    `key` names a unique column of `relation`.
#}
{% macro assign_channel_from_traffic_source(relation, key, source_system, source_column, medium_column, path_column=none) -%}
    select
        ranked.*
    from (
        select
            traffic.*,
            mapping.channel_id,
            row_number() over (
                partition by traffic.{{ key }}
                order by
                    case when mapping.source = '*' then 0 else 1 end desc,
                    case when mapping.medium = '*' then 0 else 1 end desc,
                    {{ dbt.length("coalesce(mapping.landing_path_prefix, '')") }} desc
            ) as mapping_rank
        from {{ relation }} as traffic
        left join {{ ref('channel_source_mapping') }} as mapping
            on mapping.source_system = '{{ source_system }}'
            and (mapping.source = '*' or lower(mapping.source) = lower(traffic.{{ source_column }}))
            and (mapping.medium = '*' or lower(mapping.medium) = lower(traffic.{{ medium_column }}))
            {%- if path_column %}
            and (coalesce(mapping.landing_path_prefix, '') = ''
                 or traffic.{{ path_column }} like mapping.landing_path_prefix || '%')
            {%- else %}
            and coalesce(mapping.landing_path_prefix, '') = ''
            {%- endif %}
    ) as ranked
    where ranked.mapping_rank = 1
{%- endmacro %}
