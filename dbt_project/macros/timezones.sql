{#
    Time zone normalisation. TIMESTAMPTZ values are instants and stay as they are (shown in
    UTC); what needs care is wall-clock data: local timestamps and account-local report days.
    `tz` is a SQL expression: a quoted literal ("'Europe/Berlin'") or a column.
#}

{#- A wall-clock timestamp in zone `tz` as an instant (TIMESTAMPTZ). -#}
{% macro local_to_utc(column_name, tz) -%}
    ({{ column_name }} at time zone {{ tz }})
{%- endmacro %}

{#- The reporting-zone (America/New_York) calendar date of an instant. -#}
{% macro to_reporting_date(column_name) -%}
    cast(({{ column_name }} at time zone '{{ var("reporting_timezone", "America/New_York") }}') as date)
{%- endmacro %}

{#- The instant an account-local day starts (midnight in the account's zone). -#}
{% macro local_day_start_utc(date_column, tz) -%}
    (cast({{ date_column }} as timestamp) at time zone {{ tz }})
{%- endmacro %}

{#-
    The reporting date of a whole account-local day (a daily platform report): the
    reporting-zone date that holds the middle of that day, i.e. the reporting day it overlaps
    most. For accounts within 12 hours of New York that is the same calendar date, so a day's
    spend is never split or shifted by a time zone.
-#}
{% macro local_day_to_reporting_date(date_column, tz) -%}
    {{ to_reporting_date("((cast(" ~ date_column ~ " as timestamp) + interval '12 hours') at time zone " ~ tz ~ ")") }}
{%- endmacro %}
