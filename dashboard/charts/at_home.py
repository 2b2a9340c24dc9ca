"""The region's own ground (the 'at home' page): a map of départements, and campaigns' reach."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboard.figures import OKABE_ITO, SEQUENTIAL, laid_out, map_colorbar, no_data
from dashboard.i18n import number, t


def departements_map(df: pl.DataFrame, geojson: dict, lang: str = "fr", value_label: str = "") -> go.Figure:
    """A choropleth of départements from a local GeoJSON (featureidkey properties.code)."""
    known = {f["properties"]["code"] for f in geojson.get("features", [])}
    df = df.filter(pl.col("departement_code").is_in(list(known)))
    if df.is_empty():
        return no_data(lang)
    df = df.group_by("departement_code").agg(pl.col("name").first(), pl.col("value").sum()).sort("departement_code")
    values = df["value"].to_list()
    fig = go.Figure(go.Choropleth(
        geojson=geojson,
        featureidkey="properties.code",
        locations=df["departement_code"].to_list(),
        z=values,
        colorscale=SEQUENTIAL,
        reversescale=True,
        marker_line_color="white",
        colorbar=map_colorbar(value_label),
        customdata=[f"departement={c}" for c in df["departement_code"].to_list()],
        hovertext=[f"{n} : {number(v, lang)}" for n, v in zip(df["name"], values)],
        hoverinfo="text",
    ))
    # no basemap: the GeoJSON is the whole map, and nothing else is fetched
    fig.update_geos(fitbounds="locations", visible=False)
    return laid_out(fig, lang, height=460, margin={"l": 0, "r": 0, "t": 10, "b": 0})


def campaign_reach_bars(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Participants and young participants as bars, events as a line on a second axis.

    The first column is the category axis: `year` or `departement` (a name or code)."""
    if df.is_empty():
        return no_data(lang)
    axis = "year" if "year" in df.columns else "departement"
    df = (df.group_by(axis).agg(pl.col("events").sum(), pl.col("participants").sum(),
                                pl.col("young_participants").sum()).sort(axis))
    x = [str(v) for v in df[axis].to_list()]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for measure, colour in (("participants", OKABE_ITO[2]), ("young_participants", OKABE_ITO[3])):
        vals = [float(v) for v in df[measure].to_list()]
        fig.add_bar(x=x, y=vals, name=t(measure, lang), marker_color=colour,
                    customdata=[number(v, lang) for v in vals],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>", secondary_y=False)
    events = [float(v) for v in df["events"].to_list()]
    fig.add_scatter(x=x, y=events, name=t("events", lang), mode="lines+markers", line_color=OKABE_ITO[7],
                    customdata=[number(v, lang) for v in events],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>", secondary_y=True)
    fig.update_yaxes(title_text=t("participants", lang), secondary_y=False, gridcolor="#eee")
    fig.update_yaxes(title_text=t("events", lang), secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_xaxes(type="category")
    return laid_out(fig, lang, barmode="group", legend={"orientation": "h", "y": 1.12})
