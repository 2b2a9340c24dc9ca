select
    iati_identifier,
    source_file,
    source_row as activity_row,
    row_number() over (partition by iati_identifier order by source_file, source_row) = 1 as counted,
from {{ source('iati', 'activities') }}
