-- The funding mart's money by where it comes from and by whether its payments are tracked:
-- the parts every page's total is reconciled with (the same keys as marts.funding, plus
-- origin and payments_tracked; summed over those two it is marts.funding, to the cent).
--
-- origin: 'grant' (committed: an SCDL grant's amount), 'cofinancing' (committed: an IATI
-- commitment of an activity no grant funds) or 'payment' (disbursed: IATI disbursements
-- and expenditures, and the region's own payment records). payments_tracked: a payment of
-- this money could be known — the region's payment records cover the grant, or an IATI activity
-- describes it (staging.grant_payment_sources). A grant neither covers (a programme paid through
-- another budget, a project not reported yet) has none: its payments are not tracked, which is
-- not the same as nothing paid.
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
    payments_tracked,
    coalesce(sum(amount_eur) filter (where flow_kind = 'committed'), 0) as committed_eur,
    coalesce(sum(amount_eur) filter (where flow_kind = 'disbursed'), 0) as disbursed_eur,
from allocations
group by all
