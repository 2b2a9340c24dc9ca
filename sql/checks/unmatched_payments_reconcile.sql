-- The analysts' list holds every payment the public count says no rule matched to one grant
-- (marts.payment_matching's outcome 'unmatched'), in
-- rows and euros, per year. Returns the years that differ.
{{ config(meta={'dagster': {'ref': {'name': 'unmatched_payments'}}}) }}
with listed as (
    select year, count(*) as payments, sum(amount_eur) as amount_eur from {{ ref('unmatched_payments') }} group by year
),

counted as (
    select year, sum(payments) as payments, sum(amount_eur) as amount_eur
    from {{ ref('payment_matching') }}
    where outcome = 'unmatched'
    group by year
)

select coalesce(l.year, c.year) as year, l.payments, c.payments as counted_payments,
    l.amount_eur, c.amount_eur as counted_eur
from listed as l
full join counted as c on c.year is not distinct from l.year
where l.payments is distinct from c.payments or l.amount_eur is distinct from c.amount_eur
