-- How fast grants are paid, per programme and grant year: days from the decision (the SCDL
-- dateConvention) to the first payment on the region's records, for grants whose payments
-- come from those records (staging.grant_payment_sources). The emergency fund's page shows
-- it: no source dates the crisis itself, so the decision stands in for it, and the page says so.
with first_payments as (
    select grant_key, min(payment_date) as first_payment_date
    from staging.payments
    where grant_key is not null
    group by grant_key
),

delays as (
    select g.programme, g.year, date_diff('day', g.date_convention, f.first_payment_date) as days
    from staging.grants as g
    inner join staging.grant_payment_sources as s on s.grant_key = g.grant_key and s.payments_source = 'accounting'
    inner join first_payments as f on f.grant_key = g.grant_key
    where g.date_convention is not null
)

select
    programme,
    year,
    count(*) as grants_paid,
    cast(min(days) as integer) as min_days,
    cast(quantile_disc(days, 0.5) as integer) as median_days,
    cast(max(days) as integer) as max_days,
from delays
group by all
order by programme, year
