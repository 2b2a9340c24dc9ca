-- Every commitment (type 2) and disbursement or expenditure (3, 4) of the registry's activities, in
-- euros by the pipeline's one currency rule (sql/macros/converted_to_eur.sql), as the region's own.
with transactions as (
    select
        publisher,
        source_file,
        activity_row,
        transaction_index,
        case when transaction_type = '2' then 'committed' else 'disbursed' end as flow_kind,
        year,
        value,
        value_date,
        transaction_date,
        currency,
        recipient_country,
        recipient_region,
        sector_vocabulary,
        sector_code,
    from {{ context_parquet('transactions') }}
    where transaction_type in ('2', '3', '4')
),

ecb_rates as (
    select * from {{ source('ref', 'ecb_rates') }}
),

pegged as (
    select * from {{ source('ref', 'pegged_currencies') }}
),

converted as (
    {{ converted_to_eur('transactions', 'ecb_rates', 'pegged') }}
)

select
    publisher,
    source_file,
    activity_row,
    transaction_index,
    flow_kind,
    year,
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
from converted
