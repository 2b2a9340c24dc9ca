-- A project page's payments are the grant's: every row of marts.grant_payments belongs to a
-- published grant, and per grant its payments sum to the grant's paid_eur in the public list
-- exactly (the grant's payments come from the region's records). Returns what differs.
{{ config(meta={'dagster': {'ref': {'name': 'grant_payments'}}}) }}
with listed as (
    select grant_key, count(*) as payments, sum(amount_eur) as amount_eur
    from {{ ref('grant_payments') }}
    group by grant_key
)

select 'payment of no published grant' as problem, l.grant_key, l.amount_eur as listed_eur, null as paid_eur
from listed as l
anti join {{ ref('grants_public') }} as g on g.grant_key = l.grant_key
union all
select 'payments <> paid_eur', g.grant_key, coalesce(l.amount_eur, 0), g.paid_eur
from {{ ref('grants_public') }} as g
left join listed as l on l.grant_key = g.grant_key
where g.payments_source = 'accounting' and coalesce(l.amount_eur, 0) <> g.paid_eur
union all
select 'payments listed for a grant not paid per the records', l.grant_key, l.amount_eur, g.paid_eur
from listed as l
inner join {{ ref('grants_public') }} as g on g.grant_key = l.grant_key
where g.payments_source is distinct from 'accounting'
