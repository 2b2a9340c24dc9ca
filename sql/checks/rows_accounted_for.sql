-- Accepted + rejected = read, for every file of every source.
{{ config(meta={'dagster': {'ref': {'name': 'data_quality'}}}) }}
-- depends_on: {{ ref('data_quality') }}
select source, source_file, rows_read, rows_accepted, rows_rejected
from {{ source('quality', 'file_loads') }}
where rows_read <> rows_accepted + rows_rejected
