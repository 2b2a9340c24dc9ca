"""The "Autres bailleurs" blocks (issue 19) of the country page and of the world page, drawn from the
specs `other_funders`, `other_funders_by_category` and `region_share_by_country` (dashboard/specs.py).

With no context in the snapshot each block says so, and how an analyst loads it, in one sentence: no
error, no empty chart. A generated registry dump is labelled "données d'exemple" wherever it shows.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from dash import dcc, html

from dashboard import others_data
from dashboard.charts.others import share_text
from dashboard.components import PROFILE, download_links, spec_block, table
from dashboard.filters import Filters
from dashboard.i18n import day, euros_short, number, t
from dashboard.specs import spec

FUNDERS, CATEGORIES, SHARES = spec("other_funders"), spec("other_funders_by_category"), spec("region_share_by_country")
FUNDERS_SHOWN = 20  # the page lists the largest; the downloads carry every publisher
ORDERS = {  # the world table's orders (`share_order=`): column, descending
    "share": ("region_committed_share", True),
    "region": ("region_committed_eur", True),
    "registry": ("registry_committed_eur", True),
    "name": (None, False),
}


def not_loaded(block_id: str, lang: str) -> html.P:
    return html.P(t("others.not_loaded", lang), className="hint", id=f"{block_id}-missing")


def source_line(block_id: str, lang: str) -> list:
    """Where the registry's figures come from and when they were read; the sample label first."""
    source = others_data.source()
    line = t("others.source", lang, date=day(source["read_at"], lang) if source["read_at"] else "–",
             files=number(source["files"], lang), publishers=number(source["publishers"], lang))
    sample = ([html.P(t("others.sample", lang), className="sample-label", id=f"{block_id}-sample")]
              if source["is_sample"] else [])
    return [*sample, html.P(line, className="hint", id=f"{block_id}-source")]


def rule_notes(filters: Filters, block_id: str, lang: str) -> list[html.P]:
    notes = [t("others.rule", lang)]
    if filters.constant_euros:
        notes.append(t("others.current_euros", lang))
    if filters.sector and len(filters.sector) == 5:
        notes.append(t("others.sector_as_category", lang, category=others_data.registry_category(filters)))
    return [html.P(" ".join(notes), className="hint", id=f"{block_id}-rule")]


def country_blocks(here: Filters, lang: str) -> list[html.Section]:
    """The country page's blocks for the place `here.country`: the region's share there, the other
    funders, the region's share per DAC category it funds there."""
    title = html.H3(t("others.title", lang), id="country-others-title")
    if not others_data.has_context():
        return [html.Section([title, not_loaded("country-others", lang)], className="chart-block",
                             id="country-others")]
    shares = others_data.region_share(here)
    funders = FUNDERS.frame(here)
    row = shares.row(0, named=True) if shares.height else None
    if row is None or row["region_committed_share"] is None:
        share = t("others.no_money", lang)
    else:
        share = t("others.share", lang, share=share_text(row["region_committed_share"], lang),
                  region=euros_short(row["region_committed_eur"], lang),
                  others=euros_short(row["registry_committed_eur"], lang), publishers=number(funders.height, lang))
    summary = html.Section([
        title, *source_line("country-others", lang),
        html.P(share, className="others-share", id="country-others-share",
               **{"data-value": "" if row is None or row["region_committed_share"] is None
                  else repr(row["region_committed_share"])}),
        *rule_notes(here, "country-others", lang),
    ], className="chart-block", id="country-others")
    categories = CATEGORIES.frame(here).with_columns(
        pl.col("region_committed_share").map_elements(lambda s: share_text(s, lang), return_dtype=pl.String)
        .alias("share_text"))
    return [
        summary,
        html.Section([
            html.H3(t("others.funders", lang), id=f"{FUNDERS.section}-title"),
            html.P(t("others.funders_note", lang, shown=number(min(FUNDERS_SHOWN, funders.height), lang),
                     count=number(funders.height, lang)), className="hint"),
            table(funders.head(FUNDERS_SHOWN),
                  [("funder_rank", "#", "number"), ("publisher", t("others.publisher", lang), "text"),
                   ("org_type_name", t("others.org_type", lang), "text"),
                   ("committed_eur", t("committed_eur", lang), "euros"),
                   ("disbursed_eur", t("disbursed_eur", lang), "euros")], lang),
            download_links(FUNDERS.dataset, here, lang),
        ], className="chart-block", id=FUNDERS.section),
        spec_block(CATEGORIES, t("others.by_category", lang),
                   # as tall as its bars (charts/others.py): one per category, its words above it
                   CATEGORIES.figure(categories, lang), CATEGORIES.describe(categories, lang),
                   table(categories, [("category_name", t("category", lang), "text"),
                                      ("region_committed_eur", t("others.region_committed", lang), "euros"),
                                      ("registry_committed_eur", t("others.registry_committed", lang), "euros"),
                                      ("registry_publishers", t("others.publishers", lang), "number"),
                                      ("share_text", t("others.region_share", lang), "number-text")], lang),
                   here, lang),
    ]


def world_block(filters: Filters, lang: str, order: str, link_to: Callable[[str], str]) -> html.Section:
    """Below the map: per country the region funds, its money, the registry's and its share, each
    country opening its page; sorted by the reader's choice of column (`link_to(order)` is its URL)."""
    title = html.H3(t("others.world_title", lang), id=f"{SHARES.section}-title")
    if not others_data.has_context():
        return html.Section([title, not_loaded(SHARES.section, lang)], className="chart-block", id=SHARES.section)
    name = "name_en" if lang == "en" else "name_fr"
    column, descending = ORDERS.get(order, ORDERS["share"])
    rows = SHARES.frame(filters).with_columns(
        pl.col("country_code").alias("country"),
        pl.col("region_committed_share").map_elements(lambda s: share_text(s, lang), return_dtype=pl.String)
        .alias("share_text"))
    rows = (rows.sort([column, name], descending=[descending, False], nulls_last=True) if column
            else rows.sort(name))
    sort_links = html.P([t("others.sort_by", lang), " ", *[
        # the order shown is said, not only coloured (as the euros switch does)
        dcc.Link([t(f"others.order_{key}", lang),
                  *([html.Span(" " + t("euros.shown", lang), className="visually-hidden")] if key == order else [])],
                 href=link_to(key), id=f"share-order-{key}", className="year-link" + (" active" if key == order else ""))
        for key in ORDERS]], className="year-links")
    return html.Section([
        title, *source_line(SHARES.section, lang), *rule_notes(filters, SHARES.section, lang), sort_links,
        table(rows, [(name, t("country", lang), "text"),
                     ("region_committed_eur", t("others.region_committed", lang), "euros"),
                     ("registry_committed_eur", t("others.registry_committed", lang), "euros"),
                     ("share_text", t("others.region_share", lang), "number-text")],
              lang, link=(name, "country", PROFILE), filters=filters),
        download_links(SHARES.dataset, filters, lang),
    ], className="chart-block", id=SHARES.section)
