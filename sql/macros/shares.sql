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
