select
    p.grant_key,
    p.payment_date,
    p.year,
    p.amount_eur,
    p.match_rule,
from {{ ref('payments') }} as p
where p.grant_key is not null
order by p.grant_key, p.payment_date, p.payment_key
