-- Every IATI transaction without a euro rate is in marts.unconverted_money, once: per
-- currency, the mart's number of transactions and sum in that currency equal those of
-- the rate_missing rows in staging (exact decimals: equal to the last decimal place).
{{ config(meta={'dagster': {'ref': {'name': 'unconverted_money'}}}) }}
with staged as (
    select currency, count(*) as transactions, sum(value) as value
    from {{ ref('transactions_eur') }} where rate_missing group by currency
),

mart as (
    select currency, sum(transactions) as transactions, sum(value) as value
    from {{ ref('unconverted_money') }} group by currency
)

select
    coalesce(s.currency, m.currency) as currency,
    s.transactions,
    m.transactions as mart_transactions,
    s.value,
    m.value as mart_value,
from staged as s
full join mart as m on m.currency = s.currency
where s.transactions is distinct from m.transactions
    or coalesce(s.value, 0) <> coalesce(m.value, 0)
