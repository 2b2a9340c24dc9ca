"""Results: indicators stacked by how much of their target was reached, and totals by indicator."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.figures import OKABE_ITO, laid_out, no_data, wrapped_lines
from dashboard.i18n import number, percent, t
from dashboard.plotly_text import escape_text

ACHIEVEMENT_BANDS = ((0.0, 0.5, "< 50 %"), (0.5, 1.0, "50–99 %"), (1.0, float("inf"), "≥ 100 %"))


def achievement_band(share: float | None) -> str | None:
    if share is None:
        return None
    return next(label for lo, hi, label in ACHIEVEMENT_BANDS if lo <= share < hi)


def outcomes_achievement(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Result indicators per year, stacked by how much of their target was reached."""
    df = df.filter(pl.col("achievement").is_not_null())
    if df.is_empty():
        return no_data(lang)
    df = df.with_columns(pl.col("achievement").map_elements(achievement_band, return_dtype=pl.String).alias("band"))
    counts = df.group_by("year", "band").len().sort("year")
    years = sorted(counts["year"].unique().to_list())
    fig = go.Figure()
    for (_, _, band), colour in zip(ACHIEVEMENT_BANDS, (OKABE_ITO[5], OKABE_ITO[1], OKABE_ITO[2])):
        by_year = dict(counts.filter(pl.col("band") == band).select("year", "len").iter_rows())
        values = [by_year.get(y, 0) for y in years]
        fig.add_bar(x=[str(y) for y in years], y=values, name=band, marker_color=colour,
                    customdata=[number(v, lang) for v in values],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    return laid_out(fig, lang, barmode="stack", legend={"orientation": "h", "y": 1.1},
                    xaxis={"type": "category"}, yaxis={"gridcolor": "#eee"})


# an indicator's name is cut into lines of at most this many characters (at a word): the last
# line and the total beside it (`343 901 (88 %)`) stay inside a phone's 358 px; plotly's
# annotations never wrap, and the longer names ran out of the figure
OUTCOME_LINE = 28


def outcome_totals(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Results by indicator (outcomes_data.outcome_totals): one bar per indicator, the share of its target
    reached (sum of values reached / sum of targets, over the measurements with both), with the
    indicator's name and total written above it, full width (a phone has no room for names
    beside the bars); a dashed line at 100 %. An indicator with no share (lower is better, or no
    target) has its name and total, and no bar."""
    df = df.filter(pl.col("actual_total").is_not_null())
    if df.is_empty():
        return no_data(lang)
    df = df.sort(["actual_total", "indicator_title"], descending=[False, True])  # largest at the top
    shares = df["target_share"].to_list()
    names = [name or "–" for name in df["indicator_title"].to_list()]
    labels = [number(total, lang) + (f" ({percent(share, lang)})" if share is not None else "")
              for total, share in zip(df["actual_total"].to_list(), shares)]
    hover = [t("outcomes.hover", lang, total=number(total, lang), target=number(target, lang),
               share=percent(share, lang), n=number(n, lang))
             for total, target, share, n in df.select("actual_with_target", "target_with_actual", "target_share",
                                                      "with_both").iter_rows()]
    top = max([1.0] + [s for s in shares if s is not None])
    rows = list(range(len(names)))
    fig = go.Figure(go.Bar(
        x=[s if s is not None else 0 for s in shares], y=rows, orientation="h", width=0.45,
        marker_color=OKABE_ITO[2], text=names, customdata=hover, textposition="none",
        hovertemplate="%{customdata}<extra></extra>",
    ))
    wrapped = [wrapped_lines(name, OUTCOME_LINE) for name in names]
    for row, lines, label in zip(rows, wrapped, labels):
        # layout text is not escaped by plotly_text.safe_figure: the name is data, escaped here
        fig.add_annotation(x=0, y=row + 0.25, xref="x", yref="y", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left", bgcolor="rgba(255,255,255,0.85)",  # over the 100 % line
                           text=t("outcomes.bar_label", lang, name="<br>".join(escape_text(lines)), total=label))
    most = max(len(lines) for lines in wrapped)
    row_px = 64 if most == 1 else 30 + 26 * most  # a name on two or three lines pushes the bars apart
    fig.add_vline(x=1, line_dash="dash", line_color=OKABE_ITO[7])
    return laid_out(fig, lang, height=max(220, row_px * len(rows) + 70), showlegend=False,
                    xaxis={"tickformat": ".0%", "range": [0, top * 1.08], "title": t("outcomes.target_share", lang),
                           "gridcolor": "#eee"},
                    yaxis={"visible": False, "range": [-0.5, len(rows) - 0.2]},
                    margin={"l": 10, "r": 20, "t": 30, "b": 10})
