with sectors as (
    select
        iati_identifier,
        coalesce(vocabulary, '1') as vocabulary,
        code,
        -- the percentage as written (the reader's double back through its shortest text)
        cast(cast(percentage as varchar) as decimal(38, 10)) as percentage,
    from {{ source('iati', 'activity_sectors') }} as s
    where coalesce(vocabulary, '1') in ('1', '2')
        and exists (select 1 from {{ ref('activity_copies') }} as k
                    where k.iati_identifier = s.iati_identifier and k.source_file = s.source_file
                      and starts_with(s.source_row, k.activity_row || '/') and k.counted)
),

preferred as (
    select iati_identifier, min(vocabulary) as vocabulary
    from sectors
    group by iati_identifier
),

chosen as (
    select
        s.iati_identifier,
        case when s.vocabulary = '1' then s.code end as sector_code,
        case when s.vocabulary = '1' then left(s.code, 3) else s.code end as category_code,
        s.percentage,
    from sectors as s
    inner join preferred as p
        on p.iati_identifier = s.iati_identifier and p.vocabulary = s.vocabulary
),

known as (
    -- a code whose DAC category is unknown places its share in no sector: 'unallocated'
    -- (reported in staging.unknown_codes), never a category the reference cannot name
    select
        c.iati_identifier,
        case when k.code3 is not null then c.sector_code end as sector_code,
        coalesce(k.code3, 'unallocated') as category_code,
        c.percentage,
    from chosen as c
    left join {{ source('ref', 'dac_categories') }} as k on k.code3 = c.category_code
),

totals as (
    select
        *,
        count(*) over (partition by iati_identifier) as sectors,
        count(percentage) over (partition by iati_identifier) as sectors_with_percentage,
        sum(percentage) over (partition by iati_identifier) as percentage_total,
    from known
)

select
    iati_identifier,
    coalesce(sector_code, 'unallocated') as sector_code,
    category_code,
    sum({{ percentage_share('percentage', 'percentage_total', 'sectors_with_percentage', 'sectors') }}) as share,
    bool_or({{ percentage_flagged('percentage_total', 'sectors_with_percentage', 'sectors') }}) as percentage_flagged,
from totals
group by iati_identifier, sector_code, category_code
