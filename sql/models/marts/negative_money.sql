with counted as (
    select t.source_file, t.iati_identifier, f.year, f.flow_kind, f.amount_eur as value_eur,
    from {{ ref('money_flows') }} as f
    inner join {{ ref('transactions_eur') }} as t
        on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
    where f.origin = 'iati'
)

select
    source_file,
    iati_identifier,
    year,
    flow_kind,
    sum(value_eur) as amount_eur,
    count(*) as transactions,
from counted
group by all
having sum(value_eur) < 0
order by source_file, iati_identifier, year, flow_kind
