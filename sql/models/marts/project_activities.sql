with titles as (
    -- an activity read from several files has one title per copy: the first, the same each build
    select iati_identifier, min(title) as title from {{ source('iati', 'activities') }} group by iati_identifier
)

select
    ga.grant_key,
    ga.iati_identifier,
    ga.method as link_method,
    a.title as activity_title,
    (select list({'location_kind': l.location_kind, 'location_code': l.location_code, 'share': l.share}
                 order by l.share desc, l.location_code)
     from {{ ref('location_shares') }} as l where l.iati_identifier = ga.iati_identifier) as places,
    (select list({'sector_code': s.sector_code, 'category_code': s.category_code, 'share': s.share}
                 order by s.share desc, s.sector_code, s.category_code)
     from {{ ref('sector_shares') }} as s where s.iati_identifier = ga.iati_identifier) as sectors,
    (select list({'transaction_type': t.transaction_type, 'transaction_date': t.transaction_date,
                  'value': t.value, 'currency': t.currency, 'value_eur': t.value_eur}
                 order by t.transaction_date, t.transaction_index, t.source_file, t.source_row)
     from {{ ref('transactions_eur') }} as t where t.iati_identifier = ga.iati_identifier) as transactions,
from {{ ref('grant_activities') }} as ga
left join titles as a on a.iati_identifier = ga.iati_identifier
