-- Each grant's payments as the region's payment records give them (a project page lists
-- them): one row per payment counted for a published grant, in its payment year, with the
-- rule that matched it (docs/money-rules.md, "Payments"). No name, no identifier: the grant's
-- key, the date and the amount. A negative amount is a reversal, netted with the others.
select
    p.grant_key,
    p.payment_date,
    p.year,
    p.amount_eur,
    p.match_rule,
from staging.payments as p
where p.grant_key is not null
order by p.grant_key, p.payment_date, p.payment_key
