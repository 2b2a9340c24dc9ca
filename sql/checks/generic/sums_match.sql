-- A mart's money equals its source's, to the cent and beyond: the total of the tested column
-- equals the total of `field` in `to` (a ref() or source()), nothing lost or counted twice
-- between layers. Use it on a mart that sums one table. Returns the two totals when they differ.
{% test sums_match(model, column_name, to, field) %}
with here as (select sum({{ column_name }}) as total from {{ model }}),
     there as (select sum({{ field }}) as total from {{ to }})
select here.total as model_total, there.total as source_total
from here, there
where here.total is distinct from there.total
{% endtest %}
