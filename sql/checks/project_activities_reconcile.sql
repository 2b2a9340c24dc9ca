-- Each project page shows what the warehouse holds: one row per linked grant, the grant is
-- published, and the activity's transactions listed on the page are all of its transactions,
-- adding up in euros to the staging total exactly (money is DECIMAL, no tolerance).
{{ config(meta={'dagster': {'ref': {'name': 'project_activities'}}}) }}
with listed as (
    select grant_key, iati_identifier,
           coalesce(len(transactions), 0) as listed_transactions,
           coalesce(list_sum(list_transform(transactions, lambda t: coalesce(t.value_eur, 0))), 0) as listed_eur
    from {{ ref('project_activities') }}
),

staged as (
    select iati_identifier, count(*) as transactions, sum(coalesce(value_eur, 0)) as value_eur
    from {{ ref('transactions_eur') }}
    group by iati_identifier
)

select l.grant_key, 'listed more than once' as problem
from listed as l group by l.grant_key having count(*) > 1
union all
select l.grant_key, 'not a published grant'
from listed as l anti join {{ ref('grants_public') }} as g on g.grant_key = l.grant_key
union all
select l.grant_key, 'transactions differ from staging'
from listed as l
left join staged as s on s.iati_identifier = l.iati_identifier
where l.listed_transactions <> coalesce(s.transactions, 0) or l.listed_eur <> coalesce(s.value_eur, 0)
