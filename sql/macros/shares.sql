{#
  How an activity's places or sectors share its money (docs/money-rules.md): by their
  percentages when every item has one and they total more than 0, scaled to the total (so
  percentages that do not add up to 100 still share all of it), else equally. Exact: each
  share is rounded half away from zero to 10 decimal places (money_div); the shares of an
  activity may then sum to 1 ± a few 10^-10, which staging.allocations absorbs so that every
  flow's money is kept whole to the last decimal. One rule for places and sectors.
#}
{% macro percentage_share(percentage, percentage_total, with_percentage, items) -%}
case
    when {{ with_percentage }} = {{ items }} and {{ percentage_total }} > 0 then money_div({{ percentage }}, {{ percentage_total }})
    else money_div(1, {{ items }})
end
{%- endmacro %}

{# flagged for data quality: an item without a percentage, or percentages not adding up to 100 #}
{% macro percentage_flagged(percentage_total, with_percentage, items) -%}
{{ with_percentage }} < {{ items }} or abs(coalesce({{ percentage_total }}, 0) - 100) > 0.01
{%- endmacro %}

{#
  A flow's money split over its parts (place × sector) and kept whole (docs/money-rules.md):
  each part is the flow's amount × its share, rounded to 10 decimal places; the part that
  comes first in `order_by` (the largest share) takes the rounding remainder, so the parts of
  a flow sum to its amount exactly. `part_share` gives the part's share, `rounded_part` its
  rounded amount, `part_kept_whole` the amount the part is counted for (a window over the flow).
#}
{% macro part_share(place_share, sector_share) -%}
cast({{ place_share }} * {{ sector_share }} as decimal(38, 10))
{%- endmacro %}

{% macro rounded_part(amount, place_share, sector_share) -%}
cast({{ amount }} * {{ part_share(place_share, sector_share) }} as decimal(38, 10))
{%- endmacro %}

{% macro part_kept_whole(flow_amount, rounded, order_by) -%}
case
    when row_number() over (partition by flow_id order by {{ order_by }}) = 1
        then {{ flow_amount }} - (sum({{ rounded }}) over (partition by flow_id) - {{ rounded }})
    else {{ rounded }}
end
{%- endmacro %}
