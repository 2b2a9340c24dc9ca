-- IATI money that nets below zero: one row per source file, activity, year and flow kind
-- whose counted transactions sum to less than zero (exact decimals: any amount below zero).
-- Publishers report cancellations, de-obligations and reimbursements as negative
-- commitments and disbursements; they are real money and count, netted (docs/money-rules.md).
-- The selection is money_flows' own (IATI flows only; a disbursement the region's payment
-- records replace is not counted, so not here either), converted to euros (rows without a rate
-- are in unconverted_money instead). Shown on the data-quality page.
with counted as (
    select t.source_file, t.iati_identifier, f.year, f.flow_kind, f.amount_eur as value_eur,
    from staging.money_flows as f
    inner join staging.transactions_eur as t
        on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
    where f.origin = 'iati'
)

select
    source_file,
    iati_identifier,
    year,
    flow_kind,
    sum(value_eur) as amount_eur,
    count(*) as transactions,
from counted
group by all
having sum(value_eur) < 0
order by source_file, iati_identifier, year, flow_kind
