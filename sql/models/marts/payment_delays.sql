with first_payments as (
    select grant_key, min(payment_date) as first_payment_date
    from {{ ref('payments') }}
    where grant_key is not null
    group by grant_key
),

delays as (
    select g.programme, g.year, date_diff('day', g.date_convention, f.first_payment_date) as days
    from {{ ref('grants') }} as g
    inner join {{ ref('grant_payment_sources') }} as s on s.grant_key = g.grant_key and s.payments_source = 'accounting'
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
