-- IATI money left out of the euro figures because no rate converts it (`rate_missing`:
-- a value date before the ECB series starts on 1999-01-04, a currency the ECB never quoted
-- or stopped quoting, and no legal euro peg). Per source file, currency, year of the
-- transaction and transaction type: how many transactions and their sum in that currency,
-- so the data-quality page can show what is missing in its own unit (docs/money-rules.md).
select
    source_file,
    currency,
    cast(year(transaction_date) as integer) as year,
    transaction_type,
    count(*) as transactions,
    sum(value) as value,
from staging.transactions_eur
where rate_missing
group by all
order by source_file, currency, year, transaction_type
