-- A mart's money equals its source's, to the cent and beyond: the total of the tested column
-- equals the total of `field` in `to` (a ref() or source()), nothing lost or counted twice
-- between layers. With `by` (a column both tables have, e.g. year) the totals are compared
-- group by group: a breakdown mart (by country, by sector) adds up to the whole every year.
-- Returns the totals that differ (a group missing on one side counts as 0 there).
{% test sums_match(model, column_name, to, field, by=none) %}
{%- set key = (by ~ ', ') if by else '' -%}
{%- set groups = ('group by ' ~ by) if by else '' -%}
with here as (select {{ key }}sum({{ column_name }}) as total from {{ model }} {{ groups }}),
     there as (select {{ key }}sum({{ field }}) as total from {{ to }} {{ groups }})
select {{ key }}here.total as model_total, there.total as source_total
from here {% if by %}full outer join there using ({{ by }}){% else %}cross join there{% endif %}
where coalesce(here.total, 0) <> coalesce(there.total, 0)
{% endtest %}
