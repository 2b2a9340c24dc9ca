with grant_outcomes as (
    select g.source_file, g.year, 'EUR' as currency,
        case when d.source_row is not null then 'set_aside' else 'counted' end as outcome,
        case when d.source_row is not null then 'exact_duplicate' end as reason,
        g.montant_eur as value,
        case when d.source_row is null then g.montant_eur end as value_eur,
    from {{ source('grants', 'grants') }} as g
    left join {{ ref('grant_duplicates') }} as d on d.source_file = g.source_file and d.source_row = g.source_row
    union all
    select source_file, year, 'EUR', 'set_aside', split_part(reason, ':', 1), montant_eur, null
    from {{ source('grants', 'grants_set_aside') }}
),

linked as (
    select distinct iati_identifier from {{ ref('grant_activities') }}
),

iati_flows as (
    -- money_flows' own selection (its one home): a converted disbursement it leaves out is one whose
    -- grant is paid per the region's records
    select flow_id from {{ ref('money_flows') }} where origin = 'iati'
),

iati_classified as (
    select r.source_file, cast(year(r.transaction_date) as integer) as year,
        upper(coalesce(r.currency, 'EUR')) as currency,
        case
            when t.source_row is null then 'duplicate_activity'
            when t.transaction_type not in ('2', '3', '4') then 'not_commitment_or_disbursement'
            when t.transaction_type = '2' and l.iati_identifier is not null then 'counted_as_grant'
            when t.rate_missing then 'no_rate'
            when t.transaction_type in ('3', '4') and f.flow_id is null then 'paid_per_accounting'
        end as reason,
        r.value,
        t.value_eur,
    from {{ source('iati', 'transactions') }} as r
    left join {{ ref('transactions_eur') }} as t on t.source_file = r.source_file and t.source_row = r.source_row
    left join linked as l on l.iati_identifier = r.iati_identifier
    left join iati_flows as f on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
),

iati_outcomes as (
    select source_file, year, currency,
        case when reason is null then 'counted' else 'set_aside' end as outcome,
        reason, value,
        case when reason is null then value_eur end as value_eur,
    from iati_classified
),

payment_outcomes as (
    select source_file, year, 'EUR' as currency,
        case when set_aside_reason is null then 'counted' else 'set_aside' end as outcome,
        set_aside_reason as reason,
        amount_eur as value,
        case when set_aside_reason is null then amount_eur end as value_eur,
    from {{ ref('payments') }}
    union all
    select source_file, year, 'EUR', 'set_aside', 'rejected_row', amount_eur, null
    from {{ source('payments', 'payments_set_aside') }}
),

outcomes as (
    select 'grants' as source, * from grant_outcomes
    union all
    select 'iati', * from iati_outcomes
    union all
    select 'payments', * from payment_outcomes
)

select source, source_file, year, currency, 'read' as outcome, cast(null as varchar) as reason,
    count(*) as rows, sum(value) as value, cast(null as decimal(38, 10)) as value_eur,
from outcomes
group by all
union all
select source, source_file, year, currency, outcome, reason, count(*), sum(value), sum(value_eur)
from outcomes
group by all
