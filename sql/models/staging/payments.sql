with payments as (
    select
        *,
        row_number() over (
            partition by payment_order, payment_date, amount_eur, reference_decision, beneficiary_id,
                grant_reference
            order by source_file, source_row
        ) as copy,
    from {{ source('payments', 'payments') }}
),

grants as (
    select grant_key, reference_decision, beneficiary_siren, date_convention from {{ ref('grants') }}
),

by_reference as (
    select p.source_file, p.source_row, g.grant_key
    from payments as p
    inner join grants as g on g.grant_key = p.grant_reference
),

by_decision as (
    select
        p.source_file,
        p.source_row,
        count(*) filter (where p.beneficiary_siren is null or g.beneficiary_siren = p.beneficiary_siren)
            as candidates,
        min(g.grant_key) filter (where p.beneficiary_siren is null or g.beneficiary_siren = p.beneficiary_siren)
            as grant_key,
    from payments as p
    inner join grants as g on g.reference_decision = p.reference_decision
    where p.grant_reference is null
    group by all
),

by_beneficiary as (
    select p.source_file, p.source_row, count(*) as candidates, min(g.grant_key) as grant_key,
    from payments as p
    inner join grants as g
        on g.beneficiary_siren = p.beneficiary_siren
        and (g.date_convention is null or g.date_convention <= p.payment_date)
    where p.grant_reference is null and p.reference_decision is null
    group by all
),

matched as (
    select
        p.*,
        case
            when p.copy > 1 then null
            when p.grant_reference is not null then r.grant_key
            when p.reference_decision is not null then case when d.candidates = 1 then d.grant_key end
            else case when b.candidates = 1 then b.grant_key end
        end as grant_key,
        case
            when p.copy > 1 then 'repeated_payment'
            when p.grant_reference is not null then
                case when r.grant_key is null then 'unknown_grant_reference' end
            when p.reference_decision is not null then
                case when d.source_row is null then 'unknown_decision'
                     when d.candidates = 0 then 'beneficiary_differs'
                     when d.candidates > 1 then 'ambiguous' end
            else
                case when b.source_row is null then 'unknown_beneficiary'
                     when b.candidates > 1 then 'ambiguous' end
        end as set_aside_reason,
        case
            when p.grant_reference is not null then 'grant_reference'
            when p.reference_decision is not null then 'decision'
            else 'beneficiary'
        end as rule,
    from payments as p
    left join by_reference as r on r.source_file = p.source_file and r.source_row = p.source_row
    left join by_decision as d on d.source_file = p.source_file and d.source_row = p.source_row
    left join by_beneficiary as b on b.source_file = p.source_file and b.source_row = p.source_row
)

select
    source_file || ':' || source_row as payment_key,
    source_file,
    source_row,
    payment_order,
    payment_date,
    year,
    amount_eur,
    reference_decision,
    beneficiary_siren,
    grant_reference,
    grant_key,
    case when set_aside_reason is null then rule end as match_rule,
    set_aside_reason,
    -- set aside by the matching rules (not a repeated line): what the analyst must look at
    coalesce(set_aside_reason <> 'repeated_payment', false) as unmatched,
from matched
