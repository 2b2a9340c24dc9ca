-- A table of the context layer (docs/context.md), read where `solidarity context` or the asset
-- context/registry_files wrote it: hive-partitioned Parquet under SOLIDARITY_CONTEXT_DIR (default
-- data/context; a relative path is from sql/, where dbt runs), never copied into the warehouse.
-- Not a dbt source: the main build's translator maps every source of the manifest to a registered
-- raw asset, and the context is none (pipelines/defs/context/assets.py gives the models their
-- dependency on context/registry_files instead). The hive types matter: some registry publishers
-- have all-digit names.
{% macro context_parquet(table) -%}
    {%- set folder = env_var('SOLIDARITY_CONTEXT_DIR', '../data/context') -%}
    {%- if table == 'transactions' -%}
        {%- set hive_types = "{'publisher': 'VARCHAR', 'year': 'INTEGER'}" -%}
    {%- else -%}
        {%- set hive_types = "{'publisher': 'VARCHAR'}" -%}
    {%- endif -%}
    read_parquet('{{ folder }}/{{ table }}/**/*.parquet', hive_partitioning = true, hive_types = {{ hive_types }}, union_by_name = true)
{%- endmacro %}
