"""Euros committed and disbursed: per year, against the annual target, and by one key."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.figures import COMMITTED, DISBURSED, MONEY_TITLE, OKABE_ITO, laid_out, no_data, wrapped_lines
from dashboard.i18n import euros, t
from dashboard.plotly_text import escape_text


def funding_by_year(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed and disbursed euros per year, side by side."""
    if df.is_empty():
        return no_data(lang)
    df = df.group_by("year").agg(pl.col("committed_eur").sum(), pl.col("disbursed_eur").sum()).sort("year")
    fig = go.Figure()
    for measure, colour in (("committed_eur", COMMITTED), ("disbursed_eur", DISBURSED)):
        values = df[measure].to_list()
        fig.add_bar(
            x=df["year"].to_list(),
            y=values,
            name=t(measure, lang),
            marker_color=colour,
            customdata=[euros(v, lang) for v in values],
            hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>",
        )
    return laid_out(
        fig, lang, barmode="group", legend={"orientation": "h", "y": 1.1},
        xaxis={"dtick": 1, "title": t("year", lang)}, yaxis={"title": "€", "gridcolor": "#eee"},
    )


def committed_against_target(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed euros per year (bars) against the annual target (a step line)."""
    if df.is_empty():
        return no_data(lang)
    years, values, targets = df["year"].to_list(), df["value"].to_list(), df["target"].to_list()
    fig = go.Figure()
    fig.add_bar(x=years, y=values, name=t("committed_eur", lang), marker_color=COMMITTED,
                customdata=[euros(v, lang) for v in values],
                hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    if any(v is not None for v in targets):
        fig.add_scatter(x=years, y=targets, name=t("target", lang), mode="lines",
                        line={"shape": "hvh", "color": OKABE_ITO[7], "dash": "dash"},
                        customdata=[euros(v, lang) for v in targets],
                        hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    return laid_out(
        fig, lang, legend={"orientation": "h", "y": 1.1},
        xaxis={"dtick": 1, "title": t("year", lang)}, yaxis={"title": "€", "gridcolor": "#eee"},
    )


def money_bars(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed euros by one key (programme pages: by country, DAC category, organisation type):
    one horizontal bar per row of `df` (columns `label`, `committed_eur`), in the frame's order
    from the top, so an 'others' row the caller put last stays last. Labels sit inside the
    plot above each bar: a phone has no room for names beside the bars."""
    if df.is_empty():
        return no_data(lang)
    labels, values = df["label"].to_list(), df["committed_eur"].to_list()
    rows = list(range(len(labels)))[::-1]
    fig = go.Figure(go.Bar(x=values, y=rows, orientation="h", width=0.45, marker_color=COMMITTED,
                           customdata=[f"{name} : {euros(v, lang)}" for name, v in zip(labels, values)],
                           hovertemplate="%{customdata}<extra></extra>"))
    for row, name, value in zip(rows, labels, values):
        # layout text is not escaped by plotly_text.safe_figure: the name is data, escaped here
        fig.add_annotation(x=0, y=row + 0.25, xref="x", yref="y", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left",
                           text="<br>".join(escape_text(wrapped_lines(f"{name} : {euros(value, lang)}", 44))))
    return laid_out(fig, lang, height=max(200, 52 * len(rows) + 80), showlegend=False,
                    xaxis={"title": MONEY_TITLE, "gridcolor": "#eee", "rangemode": "tozero"},
                    yaxis={"visible": False, "range": [-0.5, len(rows) - 0.2]},
                    margin={"l": 10, "r": 20, "t": 30, "b": 10})
