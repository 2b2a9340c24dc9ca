"""The public charts: what each one reads, which filters it takes, how it is drawn.

One `Chart` per stable URL `/embed/<slug>`. Frames come from `dashboard.data` (the
officials' pages' own queries), figures from `dashboard.charts` and descriptions from
`dashboard.describe`; this module only wires a validated request to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go
import polars as pl

from dashboard import data, describe
from dashboard.charts.at_home import campaign_reach_bars, departements_map
from dashboard.charts.flows import flows_sankey
from dashboard.charts.money import funding_by_year
from dashboard.charts.sectors import sectors_treemap
from dashboard.charts.world import world_map
from dashboard.filters import Filters, to_query
from dashboard.i18n import t

GEO_DIR = Path(__file__).resolve().parents[1] / "assets" / "geo"


@dataclass(frozen=True)
class EmbedRequest:
    """A validated request: every field comes from an allowlist read from the snapshot."""

    chart: str
    lang: str = "fr"
    year: int | None = None
    country: str | None = None
    indicator: str | None = None
    euros: str | None = None  # CONSTANT_EUROS, or None: current euros (the pages' `euros` word)

    def query(self) -> dict[str, str]:
        """The canonical query string (fixed order), used in links and cache keys."""
        out = {"year": self.year, "country": self.country, "indicator": self.indicator, "euros": self.euros,
               "lang": self.lang}
        return {k: str(v) for k, v in out.items() if v is not None}

    def filters(self) -> Filters:
        return Filters(year_from=self.year, year_to=self.year, country=self.country, lang=self.lang,
                       euros=self.euros or "current")


@dataclass(frozen=True)
class Column:
    name: str  # column in the frame and the CSV header; `{lang}` is replaced by fr/en
    kind: str  # text (a name: what is not known said so), or a kind of dashboard.cells (euros, number...)


@dataclass(frozen=True)
class Chart:
    slug: str
    years_table: str | None  # the mart whose years this chart may show (None: all years at once)
    params: tuple[str, ...]  # accepted besides `lang`
    table: Callable[[EmbedRequest], pl.DataFrame]  # the frame drawn, shown as a table and downloaded
    columns: tuple[Column, ...]  # the table fallback's columns
    figure: Callable[[EmbedRequest, pl.DataFrame], go.Figure] | None  # None: an HTML card, no plotly.js
    describe: Callable[[EmbedRequest, pl.DataFrame], str] | None
    credit: str | None = None  # label key of a map credit
    needs_world: bool = False  # preload the world topojson
    defaults: dict = field(default_factory=dict)
    page: str = "/"  # the officials' page that shows this chart (the embed links back to it)
    section: str = ""  # the chart's block on that page (its id)

    def dashboard_path(self, req: EmbedRequest) -> str:
        """The page the chart comes from, with the same filters: `/world?years=2024&lang=en#world-map`."""
        return self.page + to_query(req.filters()) + (f"#{self.section}" if self.section else "")


@cache
def departements_geojson() -> dict:
    return json.loads((GEO_DIR / "departements-ara.geojson").read_text(encoding="utf-8"))


def _jobs(req: EmbedRequest) -> pl.DataFrame:
    return data.jobs_by_departement(req.filters()).with_columns(
        pl.col("headcount").cast(pl.Int64), pl.col("volunteers").cast(pl.Int64))


def _jobs_frame(df: pl.DataFrame) -> pl.DataFrame:
    return df.rename({"headcount": "value"})


def _campaign(req: EmbedRequest) -> pl.DataFrame:
    return data.campaign_reach(req.filters()).with_columns(
        pl.coalesce("name", "departement_code").alias("departement"),
        *(pl.col(c).cast(pl.Int64) for c in ("events", "participants", "young_participants")),
    )


def _campaign_frame(df: pl.DataFrame) -> pl.DataFrame:
    return df.select("departement", "events", "participants", "young_participants")


def _kpi(req: EmbedRequest) -> pl.DataFrame:
    frame = data.kpis(req.year, filters=req.filters()).filter(pl.col("indicator") == req.indicator)
    return frame.select(pl.lit(req.year).alias("year"), pl.all())


C = Column
CHARTS: dict[str, Chart] = {
    c.slug: c
    for c in (
        Chart("funding-by-year", None, ("country", "euros"),
              lambda r: data.funding_by_year(r.filters()),
              (C("year", "number"), C("committed_eur", "euros"), C("disbursed_eur", "euros")),
              lambda r, df: funding_by_year(df, r.lang),
              lambda r, df: describe.funding_by_year(df, r.lang), page="/flows", section="funding-by-year"),
        Chart("world-map", "funding", ("year", "euros"),
              lambda r: data.funding_by_place(r.filters()),
              (C("name_{lang}", "text"), C("committed_eur", "euros"), C("disbursed_eur", "euros")),
              lambda r, df: world_map(df, r.lang),
              lambda r, df: describe.world_map(df, r.lang),
              credit="credit_world", needs_world=True, page="/world", section="world-map"),
        Chart("flows", "funding", ("year", "euros"),
              lambda r: data.flows(r.filters(), r.lang),
              (C("programme", "text"), C("beneficiary_type", "beneficiary"), C("category_name", "text"),
               C("location_name", "text"), C("committed_eur", "euros")),
              lambda r, df: flows_sankey(df, r.lang),
              lambda r, df: describe.flows_sankey(df, r.lang), page="/flows", section="flows-sankey"),
        Chart("sectors", "funding", ("year", "euros"),
              lambda r: data.sectors(r.filters(), r.lang),
              (C("category_name", "text"), C("sector_name", "text"), C("committed_eur", "euros"),
               C("disbursed_eur", "euros")),
              lambda r, df: sectors_treemap(df, r.lang),
              lambda r, df: describe.sectors_treemap(df, r.lang), page="/sectors", section="sectors-treemap"),
        Chart("jobs-by-departement", "jobs_by_departement", ("year",),
              _jobs,
              (C("name", "text"), C("organisations", "number"), C("headcount", "number"), C("fte", "decimal"),
               C("volunteers", "number")),
              lambda r, df: departements_map(_jobs_frame(df), departements_geojson(), r.lang,
                                             value_label=t("jobs_headcount", r.lang)),
              lambda r, df: describe.departements_map(_jobs_frame(df), r.lang,
                                                      value_label=t("jobs_headcount", r.lang)),
              credit="credit_departements", page="/at-home", section="jobs-map"),
        Chart("campaign-reach", "campaign_reach", ("year",),
              _campaign,
              (C("departement", "text"), C("events", "number"), C("participants", "number"),
               C("young_participants", "number")),
              lambda r, df: campaign_reach_bars(_campaign_frame(df), r.lang),
              lambda r, df: describe.campaign_reach_bars(_campaign_frame(df), r.lang),
              page="/at-home", section="reach-map"),
        Chart("kpi", "kpis", ("year", "indicator", "euros"),
              _kpi,
              (C("indicator", "indicator"), C("value", "decimal"), C("previous_value", "decimal"),
               C("target", "decimal")),
              None, None, defaults={"indicator": "committed_eur"}, page="/"),
    )
}
