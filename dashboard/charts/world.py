"""The world map: money by country, in euros or euros per inhabitant."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.figures import COMMITTED, SEQUENTIAL, euros_per_capita, laid_out, map_colorbar, no_data
from dashboard.i18n import euros, lang_of, t


def world_map(df: pl.DataFrame, lang: str = "fr", measure: str = "committed_eur",
              topojson_ok: bool = True, per_capita: bool = False) -> go.Figure:
    """A world choropleth by country (ISO-3 codes only; regions and 'unallocated' are listed elsewhere).

    `per_capita=True` colours by `<measure>_per_capita` (euros per inhabitant; countries with
    no known population are left out of the map, and the page lists them).
    `topojson_ok=False` gives a ranked bar chart instead, for contexts where the world
    geometry cannot be served (a static export with no assets)."""
    df = df.filter(pl.col("country_code").str.contains(r"^[A-Z]{3}$"))
    column = f"{measure}_per_capita" if per_capita else measure
    if per_capita:
        df = df.filter(pl.col(column).is_not_null())
    if df.is_empty():
        return no_data(lang)
    name_col = "name_fr" if lang_of(lang) == "fr" else "name_en"
    # one row per country already on the pages; summing per-capita rows of one country is
    # still its total over its single population
    df = (df.group_by("country_code").agg(pl.col(name_col).first().alias("name"), pl.col(column).sum())
          .sort([column, "country_code"], descending=[True, False]))
    values = df[column].to_list()
    if per_capita:
        text = [f"{n} : {euros_per_capita(v, lang)} {t('per_inhabitant', lang)}" for n, v in zip(df["name"], values)]
    else:
        text = [f"{n} : {euros(v, lang)}" for n, v in zip(df["name"], values)]
    unit = t("eur_per_inhabitant_short", lang) if per_capita else "€"
    if not topojson_ok:
        fig = go.Figure(go.Bar(
            x=values[::-1], y=df["name"].to_list()[::-1], orientation="h", marker_color=COMMITTED,
            customdata=[f"country={c}" for c in df["country_code"].to_list()[::-1]],
            hovertext=text[::-1], hoverinfo="text",
        ))
        title = f"{t(measure, lang)} ({unit})" if per_capita else t(measure, lang)
        return laid_out(fig, lang, height=max(300, 22 * len(values)), xaxis={"title": title})
    fig = go.Figure(go.Choropleth(
        locations=df["country_code"].to_list(),
        locationmode="ISO-3",
        z=values,
        colorscale=SEQUENTIAL,
        reversescale=True,  # dark = more money, on a light map
        marker_line_color="white",
        marker_line_width=0.5,
        colorbar=map_colorbar(unit),
        customdata=[f"country={c}" for c in df["country_code"].to_list()],
        hovertext=text,
        hoverinfo="text",
    ))
    fig.update_geos(showframe=False, showcoastlines=False, showcountries=True, countrycolor="#bbb",
                    showland=True, landcolor="#f2f2f2", projection_type="natural earth", lataxis_range=[-58, 85])
    return laid_out(fig, lang, height=460, margin={"l": 0, "r": 0, "t": 10, "b": 0})
