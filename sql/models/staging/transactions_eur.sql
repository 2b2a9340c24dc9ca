with transactions as (
    select *
    from {{ source('iati', 'transactions') }} as t
    semi join {{ ref('activity_copies') }} as k
        on k.iati_identifier = t.iati_identifier and k.source_file = t.source_file
        and starts_with(t.source_row, k.activity_row || '/') and k.counted
),

ecb_rates as (
    select * from {{ source('ref', 'ecb_rates') }}
),

pegged as (
    select * from {{ source('ref', 'pegged_currencies') }}
),

converted as (
    -- the one currency rule (sql/macros/converted_to_eur.sql), the context layer's too
    {{ converted_to_eur('transactions', 'ecb_rates', 'pegged') }}
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
