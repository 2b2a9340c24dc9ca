"""Data quality: coverage, freshness and rejection counts (public); row detail for analysts only."""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import quality_data
from dashboard.components import download_links, table
from dashboard.filters import Filters
from dashboard.i18n import day, euros, label, lang_of, number, percent, reason_label, t

dash.register_page(__name__, path="/data-quality", name="data_quality", order=7)


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    quality = quality_data.data_quality().with_columns(
        pl.struct("metric", "value").map_elements(lambda r: _value(r["metric"], r["value"], lang),
                                                  return_dtype=pl.String).alias("shown"),
        pl.col("latest_file_at").map_elements(lambda d: day(d, lang), return_dtype=pl.String).alias("latest"),
        _named("source", "source", lang), _named("metric", "metric", lang),
    )
    # names, never identifiers: sources, severities and reasons as the catalogs say them
    rejected = quality_data.rejected_counts().with_columns(
        _named("source", "source", lang), _named("severity", "severity", lang),
        pl.col("reason").map_elements(lambda r: reason_label(r, lang), return_dtype=pl.String))
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
            table(quality_data.money_reconciliation().with_columns(
                      _named("source", "source", lang),
                      pl.col("outcome").map_elements(lambda o: t("outcome_" + o, lang), return_dtype=pl.String),
                      pl.col("reason").map_elements(lambda r: t("setaside_" + r, lang) if r else "",
                                                    return_dtype=pl.String)),
                  [("source", t("source", lang), "text"), ("currency", t("currency", lang), "text"),
                   ("outcome", t("outcome", lang), "text"), ("reason", t("reason", lang), "text"),
                   ("rows", t("rows", lang), "number"), ("amount", t("amount_read", lang), "number"),
                   ("amount_eur", t("amount_counted_eur", lang), "number")], lang),
            download_links("money_reconciliation", Filters(lang=lang), lang),
        ], className="chart-block", id="reconciliation-table"),
        _payments(lang),
        _open_data(lang),
        html.Section([
            html.H3(t("compliance_title", lang)),
            html.P(t("compliance_intro", lang)),
            table(quality_data.publication_compliance().with_columns(_named("missing_field", "scdl", lang)), [
                ("year", t("year", lang), "text"),
                ("grants_over_threshold", t("grants_over_threshold", lang), "number"),
                ("grants_complete", t("grants_complete", lang), "number"),
                ("compliance_rate", t("compliance_rate", lang), "percent"),
                ("missing_field", t("missing_field", lang), "text"),
                ("grants_missing", t("grants_missing", lang), "number")], lang),
            download_links("publication_compliance", Filters(lang=lang), lang),
            html.P([t("analyst_gaps_note", lang),
                    html.A("/analyst/publication_gaps.csv", href="/analyst/publication_gaps.csv")], className="hint"),
        ], className="chart-block", id="compliance-table"),
        html.Section([
            html.H3(t("links_title", lang)),
            html.P(t("links_intro", lang)),
            table(quality_data.grant_project_reconciliation(), [
                ("year", t("year", lang), "text"), ("programme", t("programme", lang), "text"),
                ("grants", t("grants_count", lang), "number"),
                ("grants_linked", t("grants_linked", lang), "number"),
                ("grants_without_activity_eur", t("grants_without_activity_eur", lang), "euros"),
                ("activities_without_grant", t("activities_without_grant", lang), "number"),
                ("links_ambiguous", t("links_ambiguous", lang), "number"),
                ("committed_share_known_country", t("share_known_country", lang), "percent"),
                ("committed_share_known_sector", t("share_known_sector", lang), "percent")], lang),
            download_links("grant_project_reconciliation", Filters(lang=lang), lang),
            html.P([t("analyst_links_note", lang),
                    html.A("/analyst/link_review.csv", href="/analyst/link_review.csv")], className="hint"),
        ], className="chart-block", id="links-table"),
        html.Section([
            html.H3(t("negative_title", lang)),
            html.P(t("negative_intro", lang)),
            table(quality_data.negative_money().with_columns(
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
            table(quality_data.unconverted_money().with_columns(_named("transaction_type", "iati_transaction", lang)), [
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
            html.P(t("dictionary_intro", lang, columns=number(quality_data.data_dictionary().height, lang))),
            download_links("data_dictionary", Filters(lang=lang), lang),
        ], className="chart-block", id="data-dictionary"),
    ])


def _payments(lang: str) -> html.Section:
    """The region's payments, counted publicly: read = matched + not matched + other set-asides
    (marts.payment_matching); the list of unmatched ones is the analysts' file."""
    totals = quality_data.payment_totals()
    matching = quality_data.payment_matching().with_columns(
        pl.col("outcome").map_elements(lambda o: t("outcome_" + o, lang), return_dtype=pl.String),
        pl.struct("outcome", "reason").map_elements(
            # both columns as stored (one with_columns reads the frame before its changes)
            lambda r: t(("payment_rule." if r["outcome"] == "matched" else "setaside_") + r["reason"], lang),
            return_dtype=pl.String).alias("reason"))
    return html.Section([
        html.H3(t("payments_title", lang)),
        html.P(t("payments_intro", lang)),
        html.P(t("payments_line", lang, read=number(totals["read"], lang), read_eur=euros(totals["read_eur"], lang),
                 matched=number(totals["matched"], lang), matched_eur=euros(totals["matched_eur"], lang),
                 unmatched=number(totals["unmatched"], lang), unmatched_eur=euros(totals["unmatched_eur"], lang),
                 other=number(totals["other"], lang), other_eur=euros(totals["other_eur"], lang)),
               id="payments-line", className="reconciliation",
               **{"data-parts": repr([totals["read"], totals["matched"], totals["unmatched"], totals["other"]])}),
        table(matching, [("year", t("year", lang), "text"), ("outcome", t("outcome", lang), "text"),
                         ("reason", t("reason", lang), "text"), ("payments", t("rows", lang), "number"),
                         ("amount_eur", t("amount", lang), "euros")], lang),
        download_links("payment_matching", Filters(lang=lang), lang),
        html.P([t("analyst_payments_note", lang),
                html.A("/analyst/unmatched_payments.csv", href="/analyst/unmatched_payments.csv")], className="hint"),
    ], className="chart-block", id="payments-table")


def _open_data(lang: str) -> html.Section:
    """The region's own publication: each SCDL / IATI file with its validation, to download."""
    files = quality_data.open_data_files()
    items = [html.Li([html.A(f["file"], href=f"/open-data/{f['file']}", download=f["file"]),
                      f" — {f['standard']}, {number(f['rows'], lang)} {t('od_rows', lang)} — ",
                      t("od_valid", lang) if f["valid"] else (
                          t("od_not_checked", lang) if f["valid"] is None
                          else t("od_invalid", lang, errors=number(f["errors"], lang)))])
             for f in files.iter_rows(named=True)]
    return html.Section([
        html.H3(t("od_title", lang)),
        html.P(t("od_intro", lang)),
        html.Ul(items) if items else html.P(t("od_none", lang)),
        html.P(html.A(t("od_report", lang), href="/open-data/validation.json")) if items else None,
    ], className="chart-block", id="open-data")


def _named(column: str, prefix: str, lang: str) -> pl.Expr:
    """A column of codes shown by name (`<prefix>.<code>` in the catalogs)."""
    return pl.col(column).map_elements(lambda code: label(prefix, code, lang), return_dtype=pl.String)


def _value(metric: str, value: float | None, lang: str) -> str:
    # shares are stored as fractions, counts as floats (transactions_without_rate is a
    # count of transactions): show each as what it is
    if value is None:
        return "–"
    if "coverage" in metric or "share" in metric:
        return percent(value, lang)
    return number(value, lang)
