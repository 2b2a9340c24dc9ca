-- The funding mart's money by where it comes from and by whether its payments are tracked:
-- the parts every page's total is reconciled with (the same keys as marts.funding, plus
-- origin and payments_tracked; summed over those two it is marts.funding, to the cent).
--
-- origin: 'grant' (committed: an SCDL grant's amount), 'cofinancing' (committed: an IATI
-- commitment of an activity no grant funds) or 'payment' (disbursed: IATI disbursements
-- and expenditures). payments_tracked: the money has an IATI activity, the only place a
-- payment is ever recorded. A grant no activity describes (fair trade, education at home,
-- or a project not reported yet) has none: its payments are not tracked, which is not the
-- same as nothing paid.
with allocations as (
    select * from staging.allocations
)

select
    year,
    programme,
    beneficiary_type,
    location_kind,
    location_code,
    sector_code,
    category_code,
    case when flow_kind = 'disbursed' then 'payment'
         when origin = 'grant' then 'grant'
         else 'cofinancing' end as origin,
    iati_identifier is not null as payments_tracked,
    coalesce(sum(amount_eur) filter (where flow_kind = 'committed'), 0) as committed_eur,
    coalesce(sum(amount_eur) filter (where flow_kind = 'disbursed'), 0) as disbursed_eur,
from allocations
group by all
