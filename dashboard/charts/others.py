"""Drop or keystone (issue 19): the region's share of the money every IATI publisher reports, per DAC
category of a place, and the sentences that say it (frames of `dashboard.others_data`)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from babel.numbers import format_percent

from dashboard.figures import COMMITTED, laid_out, no_data, wrapped_lines
from dashboard.i18n import LOCALES, euros_short, lang_of, number, t
from dashboard.plotly_text import escape_text


def share_text(share: float | None, lang: str) -> str:
    """`3,2 %` / `3.2%`: a share to a tenth of a percent (a region's share is often below 1 %)."""
    if share is None:
        return "–"
    text = format_percent(share, "#,##0.0%", locale=LOCALES[lang_of(lang)])
    return text.replace("%", "\u202f%") if lang_of(lang) == "fr" else text  # as i18n.percent


TOP = 8  # bars named; the other categories in one last bar, their money summed and its share of it


def share_bars(df: pl.DataFrame, lang: str) -> go.Figure:
    """One horizontal bar per DAC category (the region's largest first), the region's share of the
    committed money (0-100 %), its name, share and both amounts written above it (a phone has no room
    beside the bars); past `TOP`, the rest in one bar 'Autres (n)'. The table lists every category."""
    df = df.filter(pl.col("region_committed_share").is_not_null())
    if df.is_empty():
        return no_data(lang)
    if df.height > TOP + 1:
        rest = df.slice(TOP)
        region, registry = rest["region_committed_eur"].sum(), rest["registry_committed_eur"].sum()
        other = {"category_code": None, "category_name": t("country.others", lang, n=rest.height),
                 "region_committed_eur": region, "registry_committed_eur": registry,
                 "region_committed_share": float(region) / float(region + registry) if region + registry else None}
        df = pl.concat([df.head(TOP).select(list(other)), pl.DataFrame([other], schema=df.select(list(other)).schema)])
    rows = list(range(df.height))[::-1]
    shares = [s * 100 for s in df["region_committed_share"].to_list()]
    words = [t("others.bar_label", lang, category=r["category_name"], share=share_text(r["region_committed_share"], lang),
               region=euros_short(r["region_committed_eur"], lang), others=euros_short(r["registry_committed_eur"], lang))
             for r in df.iter_rows(named=True)]
    fig = go.Figure(go.Bar(x=shares, y=rows, orientation="h", width=0.45, marker_color=COMMITTED,
                           customdata=words, hovertemplate="%{customdata}<extra></extra>"))
    lines = [_unbroken_lines(text, 44) for text in words]
    for row, label in zip(rows, lines):
        # layout text is not escaped by plotly_text.safe_figure: the name is data, escaped here
        fig.add_annotation(x=0, y=row + 0.25, xref="x", yref="y", xanchor="left", yanchor="bottom", showarrow=False,
                           align="left", text="<br>".join(escape_text(label)))
    row_px = 44 + 18 * max(len(label) for label in lines)  # the longest label's lines above its bar
    return laid_out(fig, lang, height=max(220, row_px * len(rows) + 90), showlegend=False,
                    xaxis={"title": t("others.share_axis", lang), "range": [0, 100], "ticksuffix": " %",
                           "gridcolor": "#eee"},
                    yaxis={"visible": False, "range": [-0.5, len(rows) - 0.1]},
                    margin={"l": 10, "r": 20, "t": 30, "b": 10})


def _unbroken_lines(text: str, width: int) -> list[str]:
    """`wrapped_lines`, never at a no-break space ("51,9 %", "1,1 M€" stay whole: str.split cuts them)."""
    kept = {"\u00a0": "\x01", "\u202f": "\x02"}
    for space, mark in kept.items():
        text = text.replace(space, mark)
    lines = wrapped_lines(text, width)
    for space, mark in kept.items():
        lines = [line.replace(mark, space) for line in lines]
    return lines


def share_words(df: pl.DataFrame, lang: str) -> str:
    """The chart's description: how many categories, the one where the region weighs most and least."""
    df = df.filter(pl.col("region_committed_share").is_not_null())
    if df.is_empty():
        return t("others.no_category", lang)
    ranked = df.sort(["region_committed_share", "category_code"], descending=[True, False])
    most, least = ranked.row(0, named=True), ranked.row(-1, named=True)
    return t("others.categories_words", lang, count=number(df.height, lang), most=most["category_name"],
             most_share=share_text(most["region_committed_share"], lang), least=least["category_name"],
             least_share=share_text(least["region_committed_share"], lang))
