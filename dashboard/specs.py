"""One spec per chart (issue 18): the one list of what the dashboard draws, offers and embeds.

A `ChartSpec` names a dataset (its download is `/download/<dataset>.<format>`), the one query
that makes its frame from the pages' `Filters`, the columns its table shows (kinds of
`dashboard.cells`, the one cell vocabulary), its figure and its description, the page and
section it lives on, and, when partners may embed it, how (`Embed`). The pages, the downloads
(`downloads.DATASETS`) and the public embeds (`embed.catalogue.CHARTS`) are views of `SPECS`:
a new chart is a spec here, its page, its model, and its two catalog entries (fr, en).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import plotly.graph_objects as go
import polars as pl

from dashboard import data, describe, grants_data, others_data, outcomes_data, quality_data
from dashboard.charts.at_home import campaign_reach_bars, departements_map
from dashboard.charts.flows import flows_sankey
from dashboard.charts.money import funding_by_year
from dashboard.charts.others import share_bars, share_words
from dashboard.charts.sectors import sectors_treemap
from dashboard.charts.world import world_map
from dashboard.filters import Filters
from dashboard.i18n import t

if TYPE_CHECKING:  # an embed's request; the embed package imports this module, not the reverse
    from dashboard.embed.catalogue import EmbedRequest

GEO_DIR = Path(__file__).resolve().parent / "assets" / "geo"


@dataclass(frozen=True)
class Column:
    name: str  # column in the frame and the CSV header; `{lang}` is replaced by fr/en
    kind: str  # a kind of dashboard.cells (text, euros, number, decimal, beneficiary, indicator...)


@dataclass(frozen=True)
class Embed:
    """How partners embed a chart: `/embed/<slug>?years=&...` (embed/catalogue.py, params.py)."""

    slug: str
    params: tuple[str, ...]  # accepted besides `lang`: words of the pages' `filters.PARAMS`, and `indicator`
    years_table: str | None  # the mart whose years the chart may show (None: all years at once)
    # the embed's frame from the spec's (types for the CSV, the one KPI asked): none by default
    shape: Callable[[pl.DataFrame, EmbedRequest], pl.DataFrame] | None = None
    credit: str | None = None  # label key of a map credit
    needs_world: bool = False  # preload the world topojson
    defaults: dict = field(default_factory=dict)


# The "Autres bailleurs" figures: other publishers' money, as the IATI registry's dump has it
REGISTRY_SOURCE = ("Registre IATI (iatiregistry.org), fichiers d'activités des éditeurs, lus par la couche de "
                   "contexte (docs/context.md) ; part de la Région : ses engagements")


@dataclass(frozen=True)
class ChartSpec:
    dataset: str
    frame: Callable[[Filters], pl.DataFrame]  # the one query: pages, downloads and embeds read it
    columns: tuple[Column, ...] = ()  # the public table's columns (the embed's table fallback)
    figure: Callable[[pl.DataFrame, str], go.Figure] | None = None  # None: a card or a table, no plotly.js
    describe: Callable[[pl.DataFrame, str], str] | None = None
    page: str = "/"  # the officials' page that shows it
    section: str = ""  # its block on that page (the block's id)
    embed: Embed | None = None
    download: bool = True  # offered as /download/<dataset>.<format>
    source: str | None = None  # whose figures, when not the region's own sources (the files' meta_source)
    constant_euros: bool = True  # False: current euros whatever `euros=` asks (no meta_euros in its files)
    sample: Callable[[], bool] | None = None  # its own source is generated data (labelled as sample)


@cache
def departements_geojson() -> dict:
    # read on first use, not at import; the file ships with the app
    return json.loads((GEO_DIR / "departements-ara.geojson").read_text(encoding="utf-8"))


# ---- the frames' views the figures draw


def jobs_map(df: pl.DataFrame, lang: str) -> go.Figure:
    return departements_map(df.rename({"headcount": "value"}), departements_geojson(), lang,
                            value_label=t("jobs_headcount", lang))


def jobs_words(df: pl.DataFrame, lang: str) -> str:
    return describe.departements_map(df.rename({"headcount": "value"}), lang, value_label=t("jobs_headcount", lang))


def _by_departement(df: pl.DataFrame) -> pl.DataFrame:
    return df.select("departement", "events", "participants", "young_participants")


def _jobs_counts(df: pl.DataFrame, _req) -> pl.DataFrame:
    return df.with_columns(pl.col("headcount").cast(pl.Int64), pl.col("volunteers").cast(pl.Int64))


def _campaign_named(df: pl.DataFrame, _req) -> pl.DataFrame:
    return df.with_columns(
        pl.coalesce("name", "departement_code").alias("departement"),
        *(pl.col(c).cast(pl.Int64) for c in ("events", "participants", "young_participants")),
    )


def _one_kpi(df: pl.DataFrame, req) -> pl.DataFrame:
    return df.filter(pl.col("indicator") == req.indicator).select(pl.lit(req.year).alias("year"), pl.all())


def _committed_against_target(filters: Filters) -> pl.DataFrame:
    # euros, named as euros (cents in files)
    return data.indicator_by_year("committed_eur", filters).rename({"value": "committed_eur", "target": "target_eur"})


def _whole(name: str) -> Callable[[Filters], pl.DataFrame]:
    """An analysts' table of `quality_data` offered whole: no filter applies to it."""
    return lambda _filters: getattr(quality_data, name)()


C = Column
MONEY = (C("committed_eur", "euros"), C("disbursed_eur", "euros"))
SPECS: tuple[ChartSpec, ...] = (
    ChartSpec("funding_by_year", data.funding_by_year, (C("year", "number"), *MONEY),
              funding_by_year, describe.funding_by_year, page="/flows", section="funding-by-year",
              embed=Embed("funding-by-year", ("country", "euros"), None)),
    ChartSpec("committed_against_target", _committed_against_target, page="/", section="committed-against-target"),
    ChartSpec("funding_by_country", data.funding_by_place, (C("name_{lang}", "text"), *MONEY),
              world_map, describe.world_map, page="/world", section="world-map",
              embed=Embed("world-map", ("years", "euros"), "funding", credit="credit_world", needs_world=True)),
    ChartSpec("flows", lambda f: data.flows(f, f.lang),
              (C("programme", "text"), C("beneficiary_type", "beneficiary"), C("category_name", "text"),
               C("location_name", "text"), C("committed_eur", "euros")),
              flows_sankey, describe.flows_sankey, page="/flows", section="flows-sankey",
              embed=Embed("flows", ("years", "euros"), "funding")),
    ChartSpec("sectors", lambda f: data.sectors(f, f.lang),
              (C("category_name", "text"), C("sector_name", "text"), *MONEY),
              sectors_treemap, describe.sectors_treemap, page="/sectors", section="sectors-treemap",
              embed=Embed("sectors", ("years", "euros"), "funding")),
    ChartSpec("outcomes", outcomes_data.outcomes, page="/outcomes", section="outcome-totals"),
    ChartSpec("grants", grants_data.grants, page="/grants"),
    ChartSpec("jobs_by_departement", data.jobs_by_departement,
              (C("name", "text"), C("organisations", "number"), C("headcount", "number"), C("fte", "decimal"),
               C("volunteers", "number")),
              jobs_map, jobs_words, page="/at-home", section="jobs-map",
              embed=Embed("jobs-by-departement", ("years",), "jobs_by_departement", shape=_jobs_counts,
                          credit="credit_departements")),
    # the embed draws the year's Festival by département as bars; the page, as a map
    ChartSpec("campaign_reach", data.campaign_reach,
              (C("departement", "text"), C("events", "number"), C("participants", "number"),
               C("young_participants", "number")),
              lambda df, lang: campaign_reach_bars(_by_departement(df), lang),
              lambda df, lang: describe.campaign_reach_bars(_by_departement(df), lang),
              page="/at-home", section="reach-map",
              embed=Embed("campaign-reach", ("years",), "campaign_reach", shape=_campaign_named)),
    # one key figure, a card: its frame is the year's KPIs, the embed keeps the one asked for
    ChartSpec("kpis", lambda f: data.kpis(f.year_from, filters=f),
              (C("indicator", "indicator"), C("value", "decimal"), C("previous_value", "decimal"),
               C("target", "decimal")),
              page="/", download=False,
              embed=Embed("kpi", ("years", "indicator", "euros"), "kpis", shape=_one_kpi,
                          defaults={"indicator": "committed_eur"})),
    # "Autres bailleurs" (issue 19): the IATI registry's money beside the region's, from the context
    # marts when the snapshot has them (empty frames otherwise); current euros only
    ChartSpec("other_funders", others_data.top_funders,
              (C("funder_rank", "number"), C("publisher", "text"), C("org_type_name", "text"), *MONEY),
              page="/country", section="country-others-funders", source=REGISTRY_SOURCE, constant_euros=False,
              sample=others_data.is_sample),
    ChartSpec("other_funders_by_category", others_data.by_category,
              (C("category_name", "text"), C("region_committed_eur", "euros"), C("registry_committed_eur", "euros"),
               C("region_committed_share", "percent")),
              share_bars, share_words, page="/country", section="country-others-categories", source=REGISTRY_SOURCE, constant_euros=False,
              sample=others_data.is_sample),
    ChartSpec("region_share_by_country", lambda f: others_data.region_share(f, countries_only=True),
              (C("name_{lang}", "text"), C("region_committed_eur", "euros"), C("registry_committed_eur", "euros"),
               C("region_committed_share", "percent")),
              page="/world", section="world-region-share", source=REGISTRY_SOURCE, constant_euros=False,
              sample=others_data.is_sample),
    # the data-quality page's tables and the analysts' files: whole tables, no figure
    *(ChartSpec(name, _whole(name), page="/quality")
      for name in ("data_quality", "data_dictionary", "rejected_counts", "money_reconciliation", "negative_money",
                   "publication_compliance", "grant_project_reconciliation", "unconverted_money",
                   "payment_matching")),
)
BY_DATASET: dict[str, ChartSpec] = {s.dataset: s for s in SPECS}


def spec(dataset: str) -> ChartSpec:
    return BY_DATASET[dataset]
