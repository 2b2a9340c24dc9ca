-- Every euro the programme commits or pays, once.
-- Committed = the grant's amount (SCDL montant), or an IATI commitment (transaction
-- type 2) for an activity no grant links to. Disbursed = IATI disbursements and
-- expenditures (types 3 and 4). A grant's own IATI commitment is not counted again.
with grants as (
    select * from staging.grants
),

grant_activities as (
    select * from staging.grant_activities
),

activity_grant as (
    -- the grant behind each linked activity (the first, if several link to one)
    select
        ga.iati_identifier,
        arg_min(g.programme, g.grant_key) as programme,
        arg_min(g.beneficiary_type, g.grant_key) as beneficiary_type,
    from grant_activities as ga
    inner join grants as g on g.grant_key = ga.grant_key
    group by ga.iati_identifier
),

transactions as (
    select * from staging.transactions_eur where not rate_missing
),

granted as (
    select
        'grant:' || g.grant_key as flow_id,
        'committed' as flow_kind,
        'grant' as origin,
        g.year,
        g.programme,
        g.beneficiary_type,
        ga.iati_identifier,
        cast(null as varchar) as tx_country,
        cast(null as varchar) as tx_region,
        cast(null as varchar) as tx_sector_vocabulary,
        cast(null as varchar) as tx_sector_code,
        g.amount_eur,
    from grants as g
    left join grant_activities as ga on ga.grant_key = g.grant_key
),

from_iati as (
    select
        'iati:' || t.iati_identifier || ':' || t.transaction_index as flow_id,
        case when t.transaction_type = '2' then 'committed' else 'disbursed' end as flow_kind,
        'iati' as origin,
        cast(year(t.transaction_date) as integer) as year,
        coalesce(ag.programme, 'Cofinancements (IATI)') as programme,
        coalesce(ag.beneficiary_type, 'non_renseigne') as beneficiary_type,
        t.iati_identifier,
        t.recipient_country as tx_country,
        t.recipient_region as tx_region,
        t.sector_vocabulary as tx_sector_vocabulary,
        t.sector_code as tx_sector_code,
        t.value_eur as amount_eur,
    from transactions as t
    left join activity_grant as ag on ag.iati_identifier = t.iati_identifier
    where t.transaction_type in ('3', '4')
        or (t.transaction_type = '2' and ag.iati_identifier is null)
)

select * from granted
union all
select * from from_iati
