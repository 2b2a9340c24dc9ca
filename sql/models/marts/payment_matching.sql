with payments as (
    select year,
        case when set_aside_reason is null then 'matched' when unmatched then 'unmatched' else 'set_aside' end
            as outcome,
        coalesce(match_rule, set_aside_reason) as reason,
        amount_eur,
    from {{ ref('payments') }}
    union all
    select year, 'set_aside', 'rejected_row', amount_eur
    from {{ source('payments', 'payments_set_aside') }}
)

select year, outcome, reason, count(*) as payments, sum(amount_eur) as amount_eur,
from payments
group by all
order by year, outcome, reason
