with loads as (
    select
        source,
        sum(rows_read) as rows_read,
        sum(rows_accepted) as rows_accepted,
        sum(rows_rejected) as rows_rejected,
        count(*) as files,
        count(error) as files_refused,
        max(modified_at) as latest_file_at,
    from {{ source('quality', 'file_loads') }}
    group by source
),

grant_coverage as (
    select
        'grants' as source,
        avg(case when beneficiary_siret is not null then 1.0 else 0.0 end) as siret_coverage,
        max(date_convention) as latest_record_on,
    from {{ ref('grants') }}
),

money as (
    select
        flow_kind,
        sum(amount_eur) filter (where location_kind <> 'unallocated') / nullif(sum(amount_eur), 0)
            as money_share_placed,
        sum(amount_eur) filter (where sector_code <> 'unallocated' or category_code <> 'unallocated')
            / nullif(sum(amount_eur), 0) as money_share_sector,
    from {{ ref('allocations') }}
    group by flow_kind
),

local_coverage as (
    select 'organisations' as source, 'departement_coverage' as metric,
           avg(case when departement_code is not null then 1.0 else 0.0 end) as value
    from {{ ref('organisations') }}
    union all
    select 'jobs', 'siret_in_directory_coverage', avg(case when org_type is not null then 1.0 else 0.0 end)
    from {{ ref('jobs') }}
    union all
    select 'events', 'departement_coverage', avg(case when departement_code is not null then 1.0 else 0.0 end)
    from {{ ref('events') }}
    union all
    select 'events', 'organiser_siret_coverage', avg(case when organiser_siret is not null then 1.0 else 0.0 end)
    from {{ ref('events') }}
),

freshness as (
    select 'grants' as source, max(date_convention) as latest_record_on from {{ ref('grants') }}
    union all
    select 'iati', max(transaction_date) from {{ ref('transactions_eur') }}
    union all
    select 'jobs', make_date(max(year), 12, 31) from {{ ref('jobs') }}
    union all
    select 'events', max(cast(starts_at as date)) from {{ ref('events') }}
    union all
    select 'payments', max(payment_date) from {{ ref('payments') }}
),

payment_matching as (
    -- the region's payment records: matched to a grant, or not (their euros: marts.payment_matching)
    select
        count(*) filter (where set_aside_reason is null) as payments_matched,
        count(*) filter (where unmatched) as payments_unmatched,
    from {{ ref('payments') }}
),

overpaid as (
    -- grants paid more than their amount (a typo in either file, or a reversal not yet recorded)
    select count(*) as grants_paid_above_amount
    from (
        select p.grant_key
        from {{ ref('payments') }} as p
        inner join {{ ref('grants') }} as g on g.grant_key = p.grant_key
        group by p.grant_key, g.amount_eur
        having sum(p.amount_eur) > g.amount_eur
    )
),

activity_coverage as (
    select
        'iati' as source,
        avg(case when l.iati_identifier is not null then 1.0 else 0.0 end) as country_coverage,
        avg(case when s.iati_identifier is not null then 1.0 else 0.0 end) as sector_coverage,
        max(a.end_date) as latest_record_on,
    from {{ source('iati', 'activities') }} as a
    left join (select distinct iati_identifier from {{ ref('location_shares') }} where location_kind <> 'unallocated') as l
        on l.iati_identifier = a.iati_identifier
    left join (select distinct iati_identifier from {{ ref('sector_shares') }} where sector_code <> 'unallocated') as s
        on s.iati_identifier = a.iati_identifier
),

rates as (
    select count(*) filter (where rate_missing) as transactions_without_rate from {{ ref('transactions_eur') }}
),

unknown_codes as (
    -- codes the references do not know, per source that carries codes (0 when none):
    -- staging.unknown_codes, and the event communes the reader already flagged itself
    select s.source, count(u.source) as unknown_codes
    from (values ('iati'), ('organisations'), ('events')) as s (source)
    left join (
        select source from {{ ref('unknown_codes') }}
        union all
        select source from {{ source('quality', 'rejected_rows') }} where source = 'events' and reason like 'commune_unknown%'
    ) as u on u.source = s.source
    group by s.source
),

metrics as (
    select source, 'rows_read' as metric, cast(rows_read as double) as value from loads
    union all select source, 'rows_accepted', rows_accepted from loads
    union all select source, 'rows_rejected', rows_rejected from loads
    union all select source, 'files', files from loads
    union all select source, 'files_refused', files_refused from loads
    union all select 'grants', 'siret_coverage', siret_coverage from grant_coverage
    union all select 'iati', 'country_coverage', country_coverage from activity_coverage
    union all select 'iati', 'sector_coverage', sector_coverage from activity_coverage
    union all select 'iati', 'transactions_without_rate', transactions_without_rate from rates
    union all select source, 'unknown_codes', unknown_codes from unknown_codes
    union all select 'funding', flow_kind || '_share_placed', money_share_placed from money
    union all select 'funding', flow_kind || '_share_with_sector', money_share_sector from money
    union all select source, metric, value from local_coverage
    union all select 'payments', 'payments_matched', payments_matched from payment_matching
    union all select 'payments', 'payments_unmatched', payments_unmatched from payment_matching
    union all select 'payments', 'grants_paid_above_amount', grants_paid_above_amount from overpaid
)

select
    m.source,
    m.metric,
    m.value,
    l.latest_file_at,
    f.latest_record_on,
from metrics as m
left join loads as l on l.source = m.source
left join freshness as f on f.source = m.source
