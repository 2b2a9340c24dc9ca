-- IATI money that nets below zero: one row per source file, activity, year and flow kind
-- whose counted transactions sum to less than zero (exact decimals: any amount below zero).
-- Publishers report cancellations, de-obligations and reimbursements as negative
-- commitments and disbursements; they are real money and count, netted (docs/money-rules.md).
-- The selection is money_flows' own: disbursements and expenditures (types 3, 4), and
-- commitments (type 2) of activities no grant links to, converted to euros (rows without
-- a rate are in unconverted_money instead). Shown on the data-quality page.
with linked as (
    select distinct iati_identifier from staging.grant_activities
),

counted as (
    select
        t.source_file,
        t.iati_identifier,
        cast(year(t.transaction_date) as integer) as year,
        case when t.transaction_type = '2' then 'committed' else 'disbursed' end as flow_kind,
        t.value_eur,
    from staging.transactions_eur as t
    left join linked as l on l.iati_identifier = t.iati_identifier
    where not t.rate_missing
        and (t.transaction_type in ('3', '4') or (t.transaction_type = '2' and l.iati_identifier is null))
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
