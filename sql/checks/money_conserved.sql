-- Money is conserved between layers: for every source file, year and currency, what was
-- read equals what is counted plus what is set aside with a reason (rows and amounts);
-- and what is counted is exactly the money of staging.money_flows, year by year (which the
-- funding checks carry on to the marts). Returns what differs: money that vanished.
{{ config(meta={'dagster': {'ref': {'name': 'money_reconciliation'}}}) }}
with by_key as (
    select source, source_file, year, currency,
        sum(rows) filter (where outcome = 'read') as rows_read,
        coalesce(sum(rows) filter (where outcome <> 'read'), 0) as rows_out,
        sum(value) filter (where outcome = 'read') as value_read,
        coalesce(sum(value) filter (where outcome <> 'read'), 0) as value_out,
    from {{ ref('money_reconciliation') }}
    group by all
),

unbalanced as (
    select 'read <> counted + set aside' as problem, source, source_file, year, currency,
        value_read as expected, value_out as found
    from by_key
    where rows_read <> rows_out or value_read <> value_out
),

counted as (
    select source, year, sum(value_eur) as value_eur
    from {{ ref('money_reconciliation') }}
    where outcome = 'counted'
    group by all
),

flows as (
    select case origin when 'grant' then 'grants' when 'accounting' then 'payments' else 'iati' end as source, year, sum(amount_eur) as value_eur
    from {{ ref('money_flows') }}
    group by all
)

select * from unbalanced
union all
select 'counted <> money_flows', coalesce(c.source, f.source), null, coalesce(c.year, f.year), 'EUR',
    coalesce(c.value_eur, 0), coalesce(f.value_eur, 0)
from counted as c
full join flows as f on f.source = c.source and f.year is not distinct from c.year
where coalesce(c.value_eur, 0) <> coalesce(f.value_eur, 0)
