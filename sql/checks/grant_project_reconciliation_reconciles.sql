-- Grants <-> projects adds up, per year and programme: every grant is linked or not
-- (grants = linked + without activity, in count and money, equal to staging.grants), and the
-- committed money is staging.allocations'.
{{ config(meta={'dagster': {'ref': {'name': 'grant_project_reconciliation'}}}) }}
with expected as (
    select year, programme, count(*) as grants, sum(amount_eur) as grants_eur
    from {{ ref('grants') }}
    group by all
),

committed as (
    select year, programme, sum(amount_eur) as committed_eur
    from {{ ref('allocations') }}
    where flow_kind = 'committed'
    group by all
)

select r.year, r.programme, r.grants, e.grants as expected_grants, r.committed_eur, c.committed_eur as expected
from {{ ref('grant_project_reconciliation') }} as r
left join expected as e on e.year = r.year and e.programme = r.programme
left join committed as c on c.year = r.year and c.programme = r.programme
where r.grants <> coalesce(e.grants, 0)
    or r.grants <> r.grants_linked + r.grants_without_activity
    or r.grants_eur <> r.grants_linked_eur + r.grants_without_activity_eur
    or r.grants_eur <> coalesce(e.grants_eur, 0)
    or r.committed_eur <> coalesce(c.committed_eur, 0)
