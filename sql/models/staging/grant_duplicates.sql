select
    source_file,
    source_row,
    year,
    montant_eur as amount_eur,
    first_value(source_file || ':' || source_row) over w as repeats_grant_key,
from {{ source('grants', 'grants') }}
window w as (partition by record_hash order by source_file, source_row)
qualify row_number() over w > 1
