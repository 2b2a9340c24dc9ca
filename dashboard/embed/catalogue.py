"""The public charts: the specs (dashboard/specs.py) that partners may embed, as requests see them.

One `Chart` per stable URL `/embed/<slug>`: a view of a `ChartSpec` (its query, columns,
figure and description, the page it links back to) with the spec's `Embed` options. This
module only wires a validated request to them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import plotly.graph_objects as go
import polars as pl

from dashboard.filters import Filters, to_query
from dashboard.specs import SPECS, ChartSpec, Column, Embed


@dataclass(frozen=True)
class EmbedRequest:
    """A validated request: every field comes from an allowlist read from the snapshot."""

    chart: str
    lang: str = "fr"
    year: int | None = None  # the one year shown (`years=2024`; `year=2024` in older links)
    country: str | None = None
    indicator: str | None = None
    euros: str | None = None  # CONSTANT_EUROS, or None: current euros (the pages' `euros` word)

    def query(self) -> dict[str, str]:
        """The canonical query string (fixed order, the pages' words), used in links and cache keys."""
        out = {"years": self.year, "country": self.country, "indicator": self.indicator, "euros": self.euros,
               "lang": self.lang}
        return {k: str(v) for k, v in out.items() if v is not None}

    def filters(self) -> Filters:
        return Filters(year_from=self.year, year_to=self.year, country=self.country, lang=self.lang,
                       euros=self.euros or "current")


@dataclass(frozen=True)
class Chart(Embed):
    """A spec's `Embed` options, with the spec they show."""

    spec: ChartSpec | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.spec.columns

    def table(self, req: EmbedRequest) -> pl.DataFrame:
        """The frame drawn, shown as a table and downloaded: the spec's query for the request's filters."""
        frame = self.spec.frame(req.filters())
        return self.shape(frame, req) if self.shape else frame

    @property
    def figure(self) -> Callable[[EmbedRequest, pl.DataFrame], go.Figure] | None:
        """None: an HTML card, no plotly.js."""
        draw = self.spec.figure
        return None if draw is None else (lambda req, frame: draw(frame, req.lang))

    @property
    def describe(self) -> Callable[[EmbedRequest, pl.DataFrame], str] | None:
        words = self.spec.describe
        return None if words is None else (lambda req, frame: words(frame, req.lang))

    def dashboard_path(self, req: EmbedRequest) -> str:
        """The page the chart comes from, with the same filters: `/world?years=2024&lang=en#world-map`."""
        return self.spec.page + to_query(req.filters()) + (f"#{self.spec.section}" if self.spec.section else "")


CHARTS: dict[str, Chart] = {s.embed.slug: Chart(**{f.name: getattr(s.embed, f.name) for f in fields(Embed)}, spec=s)
                             for s in SPECS if s.embed}
