-- The region's payment records add up at every layer (docs/money-rules.md, "Payments"):
-- every raw payment is once in staging.payments, matched or set aside; per year the public
-- count (marts.payment_matching) is what was read, in rows and euros; every matched euro is a
-- disbursed euro of staging.money_flows; and a grant paid per the records shows, in the public
-- list, exactly the sum of its payments. Returns what differs.
{{ config(meta={'dagster': {'ref': {'name': 'payment_matching'}}}) }}
with raw_by_year as (
    select year, count(*) as payments, sum(amount_eur) as amount_eur
    from (select year, amount_eur from {{ source('payments', 'payments') }}
          union all select year, amount_eur from {{ source('payments', 'payments_set_aside') }})
    group by year
),

public_by_year as (
    select year, sum(payments) as payments, sum(amount_eur) as amount_eur
    from {{ ref('payment_matching') }}
    group by year
),

staged as (
    select
        (select count(*) from {{ source('payments', 'payments') }}) as raw_rows,
        (select count(*) from {{ ref('payments') }}) as staged_rows,
        (select count(distinct payment_key) from {{ ref('payments') }}) as staged_keys,
        (select coalesce(sum(amount_eur), 0) from {{ ref('payments') }} where grant_key is not null) as matched_eur,
        (select coalesce(sum(amount_eur), 0) from {{ ref('money_flows') }} where origin = 'accounting') as flows_eur
),

per_grant as (
    select grant_key, sum(amount_eur) as paid_eur
    from {{ ref('payments') }}
    where grant_key is not null
    group by grant_key
)

select 'payment_matching <> raw payments' as problem, cast(coalesce(r.year, p.year) as varchar) as item,
    r.amount_eur as expected, p.amount_eur as found
from raw_by_year as r
full join public_by_year as p on p.year is not distinct from r.year
where r.payments is distinct from p.payments or r.amount_eur is distinct from p.amount_eur
union all
select '{{ ref('payments') }} rows <> {{ source('payments', 'payments') }} rows', null, raw_rows, staged_rows
from staged
where raw_rows <> staged_rows or staged_rows <> staged_keys
union all
select 'matched payments <> accounting flows', null, matched_eur, flows_eur
from staged
where matched_eur <> flows_eur
union all
select 'grant paid <> sum of its payments', g.grant_key, coalesce(p.paid_eur, 0), g.paid_eur
from {{ ref('grants_public') }} as g
left join per_grant as p on p.grant_key = g.grant_key
where g.payments_source = 'accounting' and g.paid_eur is distinct from coalesce(p.paid_eur, 0)
