"""Data quality: coverage, freshness and rejection counts (public); row detail for analysts only."""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import data
from dashboard.components import download_links, table
from dashboard.filters import Filters
from dashboard.i18n import day, lang_of, number, percent, t

dash.register_page(__name__, path="/data-quality", name="data_quality", order=7)


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    quality = data.data_quality().with_columns(
        pl.struct("metric", "value").map_elements(lambda r: _value(r["metric"], r["value"], lang),
                                                  return_dtype=pl.String).alias("shown"),
        pl.col("latest_file_at").map_elements(lambda d: day(d, lang), return_dtype=pl.String).alias("latest"),
    )
    rejected = data.rejected_counts()
    return html.Div([
        html.H2(t("data_quality", lang)),
        html.P(t("quality_intro", lang)),
        html.Section([
            html.H3(t("data_quality", lang)),
            table(quality, [("source", t("source", lang), "text"), ("metric", t("metric", lang), "text"),
                            ("shown", t("value", lang), "number-text"), ("latest", t("latest_file", lang), "text")],
                  lang),
            download_links("data_quality", Filters(lang=lang), lang),
        ], className="chart-block", id="quality-table"),
        html.Section([
            html.H3(t("reconciliation_title", lang)),
            html.P(t("reconciliation_intro", lang)),
            table(data.money_reconciliation().with_columns(
                      pl.col("outcome").map_elements(lambda o: t("outcome_" + o, lang), return_dtype=pl.String),
                      pl.col("reason").map_elements(lambda r: t("setaside_" + r, lang) if r else "",
                                                    return_dtype=pl.String)),
                  [("source", t("source", lang), "text"), ("currency", t("currency", lang), "text"),
                   ("outcome", t("outcome", lang), "text"), ("reason", t("reason", lang), "text"),
                   ("rows", t("rows", lang), "number"), ("amount", t("amount_read", lang), "number"),
                   ("amount_eur", t("amount_counted_eur", lang), "number")], lang),
            download_links("money_reconciliation", Filters(lang=lang), lang),
        ], className="chart-block", id="reconciliation-table"),
        html.Section([
            html.H3(t("negative_title", lang)),
            html.P(t("negative_intro", lang)),
            table(data.negative_money().with_columns(
                      pl.col("flow_kind").map_elements(lambda k: t("flow_" + k, lang), return_dtype=pl.String)), [
                ("year", t("year", lang), "text"), ("source_file", t("file", lang), "text"),
                ("iati_identifier", t("activity", lang), "text"), ("flow_kind", t("flow_kind", lang), "text"),
                ("amount_eur", t("amount_counted_eur", lang), "number"),
                ("transactions", t("transactions", lang), "number")], lang),
            download_links("negative_money", Filters(lang=lang), lang),
        ], className="chart-block", id="negative-money-table"),
        html.Section([
            html.H3(t("unconverted_title", lang)),
            html.P(t("unconverted_intro", lang)),
            table(data.unconverted_money(), [
                ("year", t("year", lang), "text"), ("source_file", t("file", lang), "text"),
                ("currency", t("currency", lang), "text"), ("transaction_type", t("transaction_type", lang), "text"),
                ("transactions", t("transactions", lang), "number"), ("value", t("amount_read", lang), "number")],
                lang),
            download_links("unconverted_money", Filters(lang=lang), lang),
        ], className="chart-block", id="unconverted-money-table"),
        html.Section([
            html.H3(t("rejections_title", lang)),
            table(rejected, [("source", t("source", lang), "text"), ("severity", t("severity", lang), "text"),
                             ("reason", t("reason", lang), "text"), ("rows", t("rows", lang), "number")], lang),
            download_links("rejected_counts", Filters(lang=lang), lang),
            html.P([t("analyst_note", lang), html.A("/analyst/rejected.csv", href="/analyst/rejected.csv")],
                   className="hint"),
        ], className="chart-block", id="rejections-table"),
        html.Section([
            html.H3(t("dictionary_title", lang)),
            html.P(t("dictionary_intro", lang, columns=number(data.data_dictionary().height, lang))),
            download_links("data_dictionary", Filters(lang=lang), lang),
        ], className="chart-block", id="data-dictionary"),
    ])


def _value(metric: str, value: float | None, lang: str) -> str:
    # shares are stored as fractions, counts as floats: show each as what it is
    if value is None:
        return "–"
    if "coverage" in metric or "share" in metric or metric == "transactions_without_rate":
        return percent(value, lang)
    return number(value, lang)
