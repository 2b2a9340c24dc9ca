-- For the analyst (served behind the analysts' login, never on a public page): each payment
-- the matching rules could not give to one grant, with what it says and why it was set aside,
-- so that the decision reference can be corrected or a grant reference ('<file>:<line>', the
-- project page's key) added to the payment line. No beneficiary identifier is copied here:
-- the file and line lead back to it.
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
from staging.payments
where unmatched
order by year, source_file, source_row
