-- The parts add up to the whole: per year and programme, marts.funding_reconciliation holds
-- exactly marts.funding's money (committed and disbursed); its 'grant' part is the grants'
-- amount (staging.grants), its untracked part the grants no payment record covers (neither
-- the region's accounting nor an IATI activity: staging.grant_payment_sources), and no payment
-- or co-financing is untracked.
-- Returns the (year, programme) pairs that break a rule.
{{ config(meta={'dagster': {'ref': {'name': 'funding_reconciliation'}}}) }}
with parts as (
    select year, programme,
        sum(committed_eur) as committed_eur,
        sum(disbursed_eur) as disbursed_eur,
        coalesce(sum(committed_eur) filter (where origin = 'grant'), 0) as grant_eur,
        coalesce(sum(committed_eur) filter (where not payments_tracked), 0) as untracked_eur,
        count(*) filter (where not payments_tracked and origin <> 'grant') as untracked_not_grant,
        count(*) filter (where origin = 'payment' and committed_eur <> 0) as payment_committed,
        count(*) filter (where origin <> 'payment' and disbursed_eur <> 0) as commitment_disbursed,
    from {{ ref('funding_reconciliation') }}
    group by all
),

whole as (
    select year, programme, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by all
),

grants as (
    select year, programme, sum(amount_eur) as grant_eur from {{ ref('grants') }} group by all
),

unlinked as (
    select g.year, g.programme, sum(g.amount_eur) as untracked_eur
    from {{ ref('grants') }} as g
    inner join {{ ref('grant_payment_sources') }} as s on s.grant_key = g.grant_key
    where s.payments_source is null
    group by all
),

keys as (
    select year, programme from parts
    union
    select year, programme from whole
    union
    select year, programme from grants
)

select k.year, k.programme, p.committed_eur, w.committed_eur as funding_committed_eur,
       p.disbursed_eur, w.disbursed_eur as funding_disbursed_eur, p.grant_eur, g.grant_eur as grants_eur,
       p.untracked_eur, u.untracked_eur as grants_untracked_eur
from keys as k
left join parts as p on p.year is not distinct from k.year and p.programme is not distinct from k.programme
left join whole as w on w.year is not distinct from k.year and w.programme is not distinct from k.programme
left join grants as g on g.year is not distinct from k.year and g.programme is not distinct from k.programme
left join unlinked as u on u.year is not distinct from k.year and u.programme is not distinct from k.programme
where coalesce(p.committed_eur, 0) <> coalesce(w.committed_eur, 0)
    or coalesce(p.disbursed_eur, 0) <> coalesce(w.disbursed_eur, 0)
    or coalesce(p.grant_eur, 0) <> coalesce(g.grant_eur, 0)
    or coalesce(p.untracked_eur, 0) <> coalesce(u.untracked_eur, 0)
    or coalesce(p.untracked_not_grant, 0) > 0
    or coalesce(p.payment_committed, 0) > 0
    or coalesce(p.commitment_disbursed, 0) > 0
