{# What the marts show for a row placed in no département: the code 'inconnu' and the name
   'Non localisé' (sql/models/columns.md), the same for jobs and the campaign's audience. #}
{% macro departement_code_or_unknown(code) %}coalesce({{ code }}, 'inconnu'){% endmacro %}
{% macro departement_name_or_unknown(name) %}coalesce({{ name }}, 'Non localisé'){% endmacro %}
