-- Warning, not blocking: each IATI transaction with a negative value (a cancellation,
-- de-obligation or reimbursement), named by file, activity, transaction index, type, date
-- and value. Negative money is real and counts, netted (docs/money-rules.md); this lists it
-- for an analyst to confirm. Net negative activity-years are in marts.negative_money.
{{ config(meta={'dagster': {'ref': {'name': 'negative_money'}}}, severity='warn') }}
-- depends_on: {{ ref('negative_money') }}
select
    source_file,
    iati_identifier,
    transaction_index,
    transaction_type,
    transaction_date,
    value,
    currency,
    value_eur,
from {{ ref('transactions_eur') }}
where value < 0
order by source_file, iati_identifier, transaction_index
