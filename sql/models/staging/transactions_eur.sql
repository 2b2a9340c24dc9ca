with transactions as (
    select
        *,
        coalesce(value_date, transaction_date) as rate_date,
        upper(coalesce(currency, 'EUR')) as currency_code,
    from {{ source('iati', 'transactions') }} as t
    semi join {{ ref('activity_copies') }} as k
        on k.iati_identifier = t.iati_identifier and k.source_file = t.source_file
        and starts_with(t.source_row, k.activity_row || '/') and k.counted
),

rates as (
    select upper(currency) as currency, cast(date as date) as rate_date,
        cast(cast(eur_rate as varchar) as decimal(38, 10)) as eur_rate, 7 as max_age_days
    from {{ source('ref', 'ecb_rates') }}
    union all
    select upper(currency), date '1900-01-01', cast(cast(eur_rate as varchar) as decimal(38, 10)), 1000000
    from {{ source('ref', 'pegged_currencies') }}
    union all
    select 'EUR', date '1900-01-01', cast(1 as decimal(38, 10)), 1000000
),

converted as (
    select
        t.*,
        r.eur_rate,
        r.rate_date as rate_published_on,
        r.eur_rate is not null
            and t.rate_date - r.rate_date <= r.max_age_days as has_rate,
    from transactions as t
    asof left join rates as r
        on r.currency = t.currency_code
        and r.rate_date <= t.rate_date
)

select
    source_file,
    source_row,
    iati_identifier,
    transaction_index,
    transaction_type,
    transaction_date,
    value,
    currency_code as currency,
    rate_date as value_date,
    case when has_rate then eur_rate end as eur_rate,
    case when has_rate then money_div(value, eur_rate) end as value_eur,
    not has_rate as rate_missing,
    recipient_country,
    recipient_region,
    sector_vocabulary,
    sector_code,
    provider_org_ref,
    receiver_org_ref,
from converted
