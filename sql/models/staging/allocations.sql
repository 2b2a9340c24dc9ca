with flows as (
    select * from {{ ref('money_flows') }}
),

flow_places as (
    select f.flow_id, coalesce(c.alpha3, 'unallocated') as location_code,
           case when c.alpha3 is null then 'unallocated' else 'country' end as location_kind,
           cast(1 as decimal(38, 10)) as share
    from flows as f
    left join {{ source('ref', 'countries') }} as c on c.alpha2 = upper(f.tx_country)
    where f.tx_country is not null
    union all
    select f.flow_id, f.tx_region, 'region', cast(1 as decimal(38, 10))
    from flows as f
    where f.tx_country is null and f.tx_region is not null
    union all
    select f.flow_id, s.location_code, s.location_kind, s.share
    from flows as f
    inner join {{ ref('location_shares') }} as s on s.iati_identifier = f.iati_identifier
    where f.tx_country is null and f.tx_region is null
),

places as (
    select flow_id, location_code, location_kind, share from flow_places
    union all
    select f.flow_id, 'unallocated', 'unallocated', cast(1 as decimal(38, 10))
    from flows as f
    anti join flow_places as p on p.flow_id = f.flow_id
),

flow_sectors as (
    -- a code of an unknown DAC category is 'unallocated' (reported in staging.unknown_codes)
    select f.flow_id,
           case when f.tx_sector_vocabulary = '2' or k.code3 is null then 'unallocated' else f.tx_sector_code end
               as sector_code,
           coalesce(k.code3, 'unallocated') as category_code,
           cast(1 as decimal(38, 10)) as share
    from flows as f
    left join {{ source('ref', 'dac_categories') }} as k
        on k.code3 = case when coalesce(f.tx_sector_vocabulary, '1') = '1' then left(f.tx_sector_code, 3)
                          else f.tx_sector_code end
    where f.tx_sector_code is not null and coalesce(f.tx_sector_vocabulary, '1') in ('1', '2')
    union all
    select f.flow_id, s.sector_code, s.category_code, s.share
    from flows as f
    inner join {{ ref('sector_shares') }} as s on s.iati_identifier = f.iati_identifier
    where not (f.tx_sector_code is not null and coalesce(f.tx_sector_vocabulary, '1') in ('1', '2'))
),

sectors as (
    select flow_id, sector_code, category_code, share from flow_sectors
    union all
    select f.flow_id, 'unallocated', 'unallocated', cast(1 as decimal(38, 10))
    from flows as f
    anti join flow_sectors as s on s.flow_id = f.flow_id
)
,

parts as (
    select
        f.flow_id,
        f.flow_kind,
        f.origin,
        f.year,
        f.programme,
        f.beneficiary_type,
        f.grant_key,
        f.iati_identifier,
        f.payments_tracked,
        p.location_kind,
        p.location_code,
        s.sector_code,
        coalesce(s.category_code, 'unallocated') as category_code,
        f.amount_eur as flow_amount_eur,
        {{ part_share('p.share', 's.share') }} as share,
        {{ rounded_part('f.amount_eur', 'p.share', 's.share') }} as rounded_eur,
    from flows as f
    inner join places as p on p.flow_id = f.flow_id
    inner join sectors as s on s.flow_id = f.flow_id
)

select
    flow_id,
    flow_kind,
    origin,
    year,
    programme,
    beneficiary_type,
    grant_key,
    iati_identifier,
    payments_tracked,
    location_kind,
    location_code,
    sector_code,
    category_code,
    {{ part_kept_whole('flow_amount_eur', 'rounded_eur',
                       'share desc, location_kind, location_code, sector_code, category_code') }} as amount_eur,
from parts
