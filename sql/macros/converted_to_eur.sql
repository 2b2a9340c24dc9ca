-- The one rule that puts money in euros (docs/money-rules.md, "Currency"), shared by
-- staging.transactions_eur and the context layer's context_transactions_eur, so that the
-- region's money and everyone else's are converted alike:
-- - the ECB reference rate of the value date, else of the closest earlier day within 7 days
--   (weekends, holidays); an older rate is no rate: the money is kept, flagged rate_missing;
-- - currencies pegged to the euro (CFA francs...) at their legal parity, whatever the date;
-- - euros as they are.
-- - a value is converted on its value date, else its transaction's date; no currency is euros.
-- `transactions` names a relation with `currency`, `value_date` and `transaction_date`; the rows
-- come back with `currency_code` and `rate_date` (what the rate was looked up with); `ecb_rates` and `pegged` name the
-- reference tables ref.ecb_rates and ref.pegged_currencies as the calling model imports them (its
-- import CTEs, so its dependencies stay in its own text). Returns the rows of `transactions` with
-- `eur_rate` (units of the currency per euro), `rate_published_on` and `has_rate`.
{% macro converted_to_eur(transactions, ecb_rates, pegged) -%}
    select
        t.*,
        r.eur_rate,
        r.rate_date as rate_published_on,
        r.eur_rate is not null
            and t.rate_date - r.rate_date <= r.max_age_days as has_rate,
    from (
        select
            *,
            coalesce(value_date, transaction_date) as rate_date,
            upper(coalesce(currency, 'EUR')) as currency_code,
        from {{ transactions }}
    ) as t
    asof left join (
        select upper(currency) as currency, cast(date as date) as rate_date,
            cast(cast(eur_rate as varchar) as decimal(38, 10)) as eur_rate, 7 as max_age_days
        from {{ ecb_rates }}
        union all
        select upper(currency), date '1900-01-01', cast(cast(eur_rate as varchar) as decimal(38, 10)), 1000000
        from {{ pegged }}
        union all
        select 'EUR', date '1900-01-01', cast(1 as decimal(38, 10)), 1000000
    ) as r
        on r.currency = t.currency_code
        and r.rate_date <= t.rate_date
{%- endmacro %}
