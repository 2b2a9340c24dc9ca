-- Each registry transaction in euros split over its places and DAC categories by the region's own
-- rules (staging.location_shares, sector_shares, allocations; docs/money-rules.md): the transaction's
-- own recipient country or region and sector when it names them, else its activity's, shared by their
-- percentages (equal shares when any is missing or they sum to 0); a part that cannot be placed is
-- 'unallocated'. Exact: each part rounded to 10 decimal places, the largest absorbing the remainder,
-- so a transaction's parts sum to its value_eur to the last decimal. Transactions with no euro rate
-- (rate_missing) are left out, as in the region's staging.money_flows.
with activities as (
    select publisher, source_file, source_row, reporting_org_type from {{ context_parquet('activities') }}
),

transactions as (
    select
        t.publisher || '/' || t.source_file || t.activity_row || '#' || t.transaction_index as flow_id,
        t.publisher,
        t.source_file,
        t.activity_row,
        coalesce(a.reporting_org_type, 'unknown') as reporting_org_type,
        t.flow_kind,
        t.year,
        t.value_eur,
        t.recipient_country,
        t.recipient_region,
        t.sector_vocabulary,
        t.sector_code,
    from {{ ref('context_transactions_eur') }} as t
    left join activities as a
        on a.publisher = t.publisher and a.source_file = t.source_file and a.source_row = t.activity_row
    where not t.rate_missing
        -- the region's own registry publisher, if it is in the dump, is the region, not another funder
        {%- for own in var('region_publishers', []) %}
        and t.publisher <> '{{ own | replace("'", "''") }}'
        {%- endfor %}
),

countries as (
    select alpha2, alpha3 from {{ source('ref', 'countries') }}
),

dac_categories as (
    select code3 from {{ source('ref', 'dac_categories') }}
),

activity_locations as (
    select
        l.publisher,
        l.source_file,
        l.activity_row,
        case
            when l.kind = 'country' and c.alpha3 is not null then 'country'
            when l.kind = 'region' then 'region'
            else 'unallocated'
        end as location_kind,
        case when l.kind = 'country' then coalesce(c.alpha3, 'unallocated') else l.code end as location_code,
        -- the percentage as written (the reader's double back through its shortest text)
        cast(cast(l.percentage as varchar) as decimal(38, 10)) as percentage,
    from {{ context_parquet('activity_locations') }} as l
    left join countries as c on l.kind = 'country' and c.alpha2 = upper(l.code)
),

location_shares as (
    select
        publisher,
        source_file,
        activity_row,
        location_kind,
        location_code,
        sum({{ percentage_share('percentage', 'percentage_total', 'places_with_percentage', 'places') }}) as share,
    from (
        select
            *,
            count(*) over activity as places,
            count(percentage) over activity as places_with_percentage,
            sum(percentage) over activity as percentage_total,
        from activity_locations
        window activity as (partition by publisher, source_file, activity_row)
    )
    group by publisher, source_file, activity_row, location_kind, location_code
),

activity_sectors as (
    -- DAC 5-digit codes (vocabulary 1) where the activity has any, else its 3-digit ones (2);
    -- a code of an unknown DAC category is 'unallocated'
    select
        s.publisher,
        s.source_file,
        s.activity_row,
        coalesce(k.code3, 'unallocated') as category_code,
        cast(cast(s.percentage as varchar) as decimal(38, 10)) as percentage,
    from (
        select
            *,
            coalesce(vocabulary, '1') as vocab,
            min(coalesce(vocabulary, '1')) over (partition by publisher, source_file, activity_row) as preferred,
        from {{ context_parquet('activity_sectors') }}
        where coalesce(vocabulary, '1') in ('1', '2')
    ) as s
    left join dac_categories as k on k.code3 = case when s.vocab = '1' then left(s.code, 3) else s.code end
    where s.vocab = s.preferred
),

sector_shares as (
    select
        publisher,
        source_file,
        activity_row,
        category_code,
        sum({{ percentage_share('percentage', 'percentage_total', 'sectors_with_percentage', 'sectors') }}) as share,
    from (
        select
            *,
            count(*) over activity as sectors,
            count(percentage) over activity as sectors_with_percentage,
            sum(percentage) over activity as percentage_total,
        from activity_sectors
        window activity as (partition by publisher, source_file, activity_row)
    )
    group by publisher, source_file, activity_row, category_code
),

flow_places as (
    select t.flow_id, coalesce(c.alpha3, 'unallocated') as location_code,
           case when c.alpha3 is null then 'unallocated' else 'country' end as location_kind,
           cast(1 as decimal(38, 10)) as share,
    from transactions as t
    left join countries as c on c.alpha2 = upper(t.recipient_country)
    where t.recipient_country is not null
    union all
    select t.flow_id, t.recipient_region, 'region', cast(1 as decimal(38, 10)),
    from transactions as t
    where t.recipient_country is null and t.recipient_region is not null
    union all
    select t.flow_id, s.location_code, s.location_kind, s.share,
    from transactions as t
    inner join location_shares as s
        on s.publisher = t.publisher and s.source_file = t.source_file and s.activity_row = t.activity_row
    where t.recipient_country is null and t.recipient_region is null
),

places as (
    select flow_id, location_code, location_kind, share from flow_places
    union all
    select t.flow_id, 'unallocated', 'unallocated', cast(1 as decimal(38, 10)),
    from transactions as t
    anti join flow_places as p on p.flow_id = t.flow_id
),

flow_sectors as (
    select t.flow_id, coalesce(k.code3, 'unallocated') as category_code, cast(1 as decimal(38, 10)) as share,
    from transactions as t
    left join dac_categories as k
        on k.code3 = case when coalesce(t.sector_vocabulary, '1') = '1' then left(t.sector_code, 3)
                          else t.sector_code end
    where t.sector_code is not null and coalesce(t.sector_vocabulary, '1') in ('1', '2')
    union all
    select t.flow_id, s.category_code, s.share,
    from transactions as t
    inner join sector_shares as s
        on s.publisher = t.publisher and s.source_file = t.source_file and s.activity_row = t.activity_row
    where not (t.sector_code is not null and coalesce(t.sector_vocabulary, '1') in ('1', '2'))
),

sectors as (
    select flow_id, category_code, share from flow_sectors
    union all
    select t.flow_id, 'unallocated', cast(1 as decimal(38, 10)),
    from transactions as t
    anti join flow_sectors as s on s.flow_id = t.flow_id
),

parts as (
    select
        t.flow_id,
        t.publisher,
        t.reporting_org_type,
        t.flow_kind,
        t.year,
        p.location_kind,
        p.location_code,
        s.category_code,
        t.value_eur as flow_value_eur,
        {{ part_share('p.share', 's.share') }} as share,
        {{ rounded_part('t.value_eur', 'p.share', 's.share') }} as rounded_eur,
    from transactions as t
    inner join places as p on p.flow_id = t.flow_id
    inner join sectors as s on s.flow_id = t.flow_id
)

select
    flow_id,
    publisher,
    reporting_org_type,
    flow_kind,
    year,
    location_kind,
    location_code,
    category_code,
    {{ part_kept_whole('flow_value_eur', 'rounded_eur', 'share desc, location_kind, location_code, category_code') }}
        as amount_eur,
from parts
