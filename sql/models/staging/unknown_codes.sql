with countries as (
    select alpha2 from {{ source('ref', 'countries') }} where alpha2 is not null
),

purpose_codes as (
    select code5 from {{ source('ref', 'dac_sectors') }} where code5 is not null
),

categories as (
    select code3 from {{ source('ref', 'dac_categories') }} where code3 is not null
),

communes as (
    select distinct commune_code from {{ source('ref', 'communes') }} where commune_code is not null
),

-- '/iati-activities/iati-activity[3]/sector[2]' → activity XPath + element path within it
iati_elements as (
    select
        'location' as element_kind,
        source_file,
        source_row,
        iati_identifier,
        code,
        cast(null as varchar) as vocabulary,
    from {{ source('iati', 'activity_locations') }}
    where kind = 'country'
    union all
    select 'sector', source_file, source_row, iati_identifier, code, coalesce(vocabulary, '1')
    from {{ source('iati', 'activity_sectors') }}
    union all
    select 'transaction_country', source_file, source_row, iati_identifier, recipient_country, null
    from {{ source('iati', 'transactions') }}
    union all
    select 'transaction_sector', source_file, source_row, iati_identifier, sector_code,
           coalesce(sector_vocabulary, '1')
    from {{ source('iati', 'transactions') }}
),

located as (
    select
        *,
        regexp_extract(source_row, '^/[^/]+/[^/]+') as activity_xpath,
        regexp_replace(source_row, '^/[^/]+/[^/]+/', '') as element_path,
    from iati_elements
    where code is not null
),

-- activity sectors of vocabulary 2 place money only when the activity has none of vocabulary 1
activities_with_purpose_codes as (
    select distinct iati_identifier from {{ source('iati', 'activity_sectors') }} where coalesce(vocabulary, '1') = '1'
),

iati_unknown as (
    select
        'iati' as source,
        l.source_file,
        l.activity_xpath as source_row,
        case l.element_kind
            when 'location' then l.element_path || '/@code'
            when 'sector' then l.element_path || '/@code'
            when 'transaction_country' then l.element_path || '/recipient-country/@code'
            else l.element_path || '/sector/@code'
        end as field,
        l.code as value,
        case
            when l.element_kind in ('location', 'transaction_country')
                then 'country_unknown: not an ISO 3166 country code, money counted as unallocated'
            when l.vocabulary = '1'
                then 'sector_unknown: not a DAC purpose code and its category is unknown, money counted as unallocated'
            else 'sector_category_unknown: not a DAC sector category, money counted as unallocated'
        end as reason,
    from located as l
    where case
        when l.element_kind in ('location', 'transaction_country')
            then upper(trim(l.code)) not in (select alpha2 from countries)
        when l.vocabulary = '1'
            then l.code not in (select code5 from purpose_codes)
                and left(l.code, 3) not in (select code3 from categories)
        when l.vocabulary = '2'
            then l.code not in (select code3 from categories)
                and (l.element_kind = 'transaction_sector'
                     or l.iati_identifier not in (select iati_identifier from activities_with_purpose_codes))
        else false  -- other vocabularies never place money in a DAC sector
    end
),

organisations_unknown as (
    select
        'organisations' as source,
        o.source_file,
        cast(o.source_row as varchar) as source_row,
        'code_commune' as field,
        o.commune_code as value,
        case
            when o.postcode in (select postcode from {{ source('ref', 'communes') }} where postcode is not null)
                then 'commune_unknown: not in the communes reference, placed by its postcode'
            else 'commune_unknown: not in the communes reference, nor its postcode: '
                || 'jobs counted under département inconnu'
        end as reason,
    from {{ source('organisations', 'organisations') }} as o
    where o.commune_code is not null
        and o.commune_code not in (select commune_code from communes)
),

-- the events CSV reader already flags the codes it was given a reference for: not twice
events_flagged as (
    select source_file, source_row
    from {{ source('quality', 'rejected_rows') }}
    where source = 'events' and field = 'code_commune' and reason like 'commune_unknown%'
),

events_unknown as (
    select
        'events' as source,
        e.source_file,
        cast(e.source_row as varchar) as source_row,
        'code_commune' as field,
        e.commune_code as value,
        'commune_unknown: not in the communes reference, audience counted under département inconnu' as reason,
    from {{ source('events', 'events') }} as e
    where e.commune_code is not null
        and e.commune_code not in (select commune_code from communes)
        and not exists (
            select 1 from events_flagged as f
            where f.source_file = e.source_file and f.source_row = cast(e.source_row as varchar)
        )
),

unknown as (
    select * from iati_unknown
    union all
    select * from organisations_unknown
    union all
    select * from events_unknown
)

select
    source,
    source_file,
    source_row,
    field,
    value,
    reason,
    'warning' as severity,
from unknown
order by source, source_file, source_row, field
