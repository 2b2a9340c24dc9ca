with funding as (
    select year, programme, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by all
),

grants as (
    select year, programme, count(*) as grants, count(distinct beneficiary_siret) as beneficiaries
    from {{ ref('grants') }}
    group by all
)

select
    f.year,
    f.programme,
    f.committed_eur,
    f.disbursed_eur,
    coalesce(g.grants, 0) as grants,
    coalesce(g.beneficiaries, 0) as beneficiaries,
from funding as f
left join grants as g on g.year = f.year and g.programme = f.programme
