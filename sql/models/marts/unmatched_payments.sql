select
    source_file,
    source_row,
    payment_order,
    payment_date,
    year,
    amount_eur,
    reference_decision,
    grant_reference,
    set_aside_reason as reason,
from {{ ref('payments') }}
where unmatched
order by year, source_file, source_row
