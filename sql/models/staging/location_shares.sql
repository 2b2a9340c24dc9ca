with locations as (
    select
        l.iati_identifier,
        case
            when l.kind = 'country' and c.alpha3 is not null then 'country'
            when l.kind = 'region' then 'region'
            else 'unallocated'
        end as location_kind,
        case
            when l.kind = 'country' then coalesce(c.alpha3, 'unallocated')
            else l.code
        end as location_code,
        -- the percentage as written (the reader's double back through its shortest text)
        cast(cast(l.percentage as varchar) as decimal(38, 10)) as percentage,
    from {{ source('iati', 'activity_locations') }} as l
    semi join {{ ref('activity_copies') }} as k
        on k.iati_identifier = l.iati_identifier and k.source_file = l.source_file
        and starts_with(l.source_row, k.activity_row || '/') and k.counted
    left join {{ source('ref', 'countries') }} as c
        on l.kind = 'country' and c.alpha2 = upper(l.code)
),

totals as (
    select
        *,
        count(*) over (partition by iati_identifier) as places,
        count(percentage) over (partition by iati_identifier) as places_with_percentage,
        sum(percentage) over (partition by iati_identifier) as percentage_total,
    from locations
)

select
    iati_identifier,
    location_kind,
    location_code,
    sum({{ percentage_share('percentage', 'percentage_total', 'places_with_percentage', 'places') }}) as share,
    bool_or({{ percentage_flagged('percentage_total', 'places_with_percentage', 'places') }}) as percentage_flagged,
from totals
group by iati_identifier, location_kind, location_code
