with grants as (
    select * from {{ ref('grants') }}
),

places as (
    select ga.grant_key, arg_min(s.location_code, (-s.share, s.location_code)) as main_location_code
    from {{ ref('grant_activities') }} as ga
    inner join {{ ref('location_shares') }} as s on s.iati_identifier = ga.iati_identifier
    group by ga.grant_key
),

-- The DAC 3-digit category with the largest share of the linked activity (ties: the
-- lowest code, so the mart is deterministic). Sectors page → grants drill-down keys on it.
categories as (
    select ga.grant_key, arg_min(s.category_code, (-s.share, s.category_code)) as main_category_code
    from {{ ref('grant_activities') }} as ga
    inner join (
        select iati_identifier, category_code, sum(share) as share
        from {{ ref('sector_shares') }}
        group by all
    ) as s on s.iati_identifier = ga.iati_identifier
    group by ga.grant_key
),

-- what was paid (docs/money-rules.md, "Payments"): the grant's disbursed money in staging.money_flows,
-- from the region's payment records or its IATI activity; null where neither tracks it ('non suivi')
paid as (
    select grant_key, sum(amount_eur) as paid_eur
    from {{ ref('money_flows') }}
    where flow_kind = 'disbursed' and grant_key is not null
    group by grant_key
),

first_payments as (
    select grant_key, min(payment_date) as first_payment_date
    from {{ ref('payments') }}
    where grant_key is not null
    group by grant_key
)

select
    g.grant_key,
    g.year,
    g.programme,
    g.date_convention,
    g.reference_decision,
    case when g.is_natural_person then 'Personne physique (anonymisée)' else g.beneficiary_name end
        as beneficiary_name,
    case when g.is_natural_person then null else g.beneficiary_siret end as beneficiary_siret,
    g.beneficiary_type,
    case when g.is_natural_person then null else g.purpose end as purpose,
    g.amount_eur,
    coalesce(p.main_location_code, 'unallocated') as main_location_code,
    coalesce(k.main_category_code, 'unallocated') as main_category_code,
    s.payments_source,
    case when s.payments_source is not null then coalesce(m.paid_eur, 0) end as paid_eur,
    f.first_payment_date,
from grants as g
left join places as p on p.grant_key = g.grant_key
left join categories as k on k.grant_key = g.grant_key
left join {{ ref('grant_payment_sources') }} as s on s.grant_key = g.grant_key
left join paid as m on m.grant_key = g.grant_key
left join first_payments as f on f.grant_key = g.grant_key
