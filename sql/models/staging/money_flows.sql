with grants as (
    select * from {{ ref('grants') }}
),

grant_activities as (
    select * from {{ ref('grant_activities') }}
),

sources as (
    select grant_key, payments_source from {{ ref('grant_payment_sources') }}
),

activity_grant as (
    -- the grant behind each linked activity (the first, if several link to one)
    select
        ga.iati_identifier,
        min(g.grant_key) as grant_key,
        arg_min(g.programme, g.grant_key) as programme,
        arg_min(g.beneficiary_type, g.grant_key) as beneficiary_type,
        arg_min(s.payments_source, g.grant_key) as payments_source,
    from grant_activities as ga
    inner join grants as g on g.grant_key = ga.grant_key
    inner join sources as s on s.grant_key = g.grant_key
    group by ga.iati_identifier
),

transactions as (
    select * from {{ ref('transactions_eur') }} where not rate_missing
),

granted as (
    select
        'grant:' || g.grant_key as flow_id,
        'committed' as flow_kind,
        'grant' as origin,
        g.grant_key,
        g.year,
        g.programme,
        g.beneficiary_type,
        ga.iati_identifier,
        cast(null as varchar) as tx_country,
        cast(null as varchar) as tx_region,
        cast(null as varchar) as tx_sector_vocabulary,
        cast(null as varchar) as tx_sector_code,
        g.amount_eur,
        s.payments_source is not null as payments_tracked,
    from grants as g
    inner join sources as s on s.grant_key = g.grant_key
    left join grant_activities as ga on ga.grant_key = g.grant_key
),

paid as (
    -- a payment is placed as its grant's commitment is: by the grant's IATI activity, if any
    select
        'payment:' || p.payment_key as flow_id,
        'disbursed' as flow_kind,
        'accounting' as origin,
        g.grant_key,
        p.year,
        g.programme,
        g.beneficiary_type,
        ga.iati_identifier,
        cast(null as varchar) as tx_country,
        cast(null as varchar) as tx_region,
        cast(null as varchar) as tx_sector_vocabulary,
        cast(null as varchar) as tx_sector_code,
        p.amount_eur,
        true as payments_tracked,
    from {{ ref('payments') }} as p
    inner join grants as g on g.grant_key = p.grant_key
    left join grant_activities as ga on ga.grant_key = g.grant_key
),

from_iati as (
    select
        'iati:' || t.iati_identifier || ':' || t.transaction_index as flow_id,
        case when t.transaction_type = '2' then 'committed' else 'disbursed' end as flow_kind,
        'iati' as origin,
        ag.grant_key,
        cast(year(t.transaction_date) as integer) as year,
        coalesce(ag.programme, 'Cofinancements (IATI)') as programme,
        coalesce(ag.beneficiary_type, 'non_renseigne') as beneficiary_type,
        t.iati_identifier,
        t.recipient_country as tx_country,
        t.recipient_region as tx_region,
        t.sector_vocabulary as tx_sector_vocabulary,
        t.sector_code as tx_sector_code,
        t.value_eur as amount_eur,
        true as payments_tracked,
    from transactions as t
    left join activity_grant as ag on ag.iati_identifier = t.iati_identifier
    where (t.transaction_type in ('3', '4') and coalesce(ag.payments_source, 'iati') = 'iati')
        or (t.transaction_type = '2' and ag.iati_identifier is null)
)

select * from granted
union all
select * from paid
union all
select * from from_iati
