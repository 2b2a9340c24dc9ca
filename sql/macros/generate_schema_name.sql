-- A model's schema is its layer as written (staging, marts), not dbt's default
-- "<target schema>_<layer>": the dashboard, the snapshot and the checks name them so.
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
