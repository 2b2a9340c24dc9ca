select
    source_file,
    currency,
    cast(year(transaction_date) as integer) as year,
    transaction_type,
    count(*) as transactions,
    sum(value) as value,
from {{ ref('transactions_eur') }}
where rate_missing
group by all
order by source_file, currency, year, transaction_type
