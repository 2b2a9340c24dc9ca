-- The grant lines not counted because they repeat, cell for cell, a line already read
-- (a file dropped twice, a line pasted twice): each with the line it repeats. The only
-- lines de-duplication removes (docs/money-rules.md).
select
    source_file,
    source_row,
    year,
    montant_eur as amount_eur,
    first_value(source_file || ':' || source_row) over w as repeats_grant_key,
from raw.grants
window w as (partition by record_hash order by source_file, source_row)
qualify row_number() over w > 1
