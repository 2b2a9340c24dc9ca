-- The region's payment records, counted publicly: per payment year, how many payments and
-- euros were matched to a grant (by which rule), unmatched (no single grant found, and why: no
-- grant with that decision reference, several grants possible...) or set aside (a repeated
-- line, a rejected row). Read = matched + unmatched + set aside, in rows and euros (the
-- data-quality page shows it; the analyst's list of each unmatched payment is
-- marts.unmatched_payments).
with payments as (
    select year,
        case when set_aside_reason is null then 'matched' when unmatched then 'unmatched' else 'set_aside' end
            as outcome,
        coalesce(match_rule, set_aside_reason) as reason,
        amount_eur,
    from staging.payments
    union all
    select year, 'set_aside', 'rejected_row', amount_eur
    from raw.payments_set_aside
)

select year, outcome, reason, count(*) as payments, sum(amount_eur) as amount_eur,
from payments
group by all
order by year, outcome, reason
