{#- A touch's id: the md5 of its kind and its source record's id. The one definition, for
    int_touchpoints__unioned and for int_touchpoints__stage_assigned, which computes it only
    for the touches it rebuilds. -#}
{% macro touchpoint_id(touch_type='touch_type', source_record_id='source_record_id') -%}
    {{ generate_surrogate_key([touch_type, source_record_id]) }}
{%- endmacro %}
