"""Where the money goes by sector: DAC categories containing their sectors."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.figures import SEQUENTIAL, laid_out, no_data
from dashboard.i18n import euros, sentence_case
from dashboard.names import readable_names


def sectors_treemap(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """DAC categories (3 digits) containing their sectors (5 digits), sized by committed euros."""
    df = readable_names(df.filter(pl.col("committed_eur") > 0), lang)
    if df.is_empty():
        return no_data(lang)
    sectors = (df.group_by("category_code", "sector_code")
               .agg(pl.col("category_name").first(), pl.col("sector_name").first(), pl.col("committed_eur").sum()))
    categories = (sectors.group_by("category_code")
                  .agg(pl.col("category_name").first(), pl.col("committed_eur").sum()).sort("category_code"))
    ids, labels, parents, values, filters, text = [], [], [], [], [], []
    for code, name, value in categories.iter_rows():
        ids.append(f"c{code}")
        labels.append(sentence_case(name) or code)
        parents.append("")
        values.append(value)
        filters.append(f"sector={code}" if code != "unallocated" else "")
        text.append(euros(value, lang))
    for cat, sec, _cname, sname, value in sectors.sort("category_code", "sector_code").iter_rows():
        ids.append(f"s{cat}/{sec}")
        labels.append(sname or sec)
        parents.append(f"c{cat}")
        values.append(value)
        filters.append(f"sector={sec}" if sec not in ("unallocated", None) else "")
        text.append(euros(value, lang))
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
        customdata=filters, text=text, texttemplate="%{label}<br>%{text}",
        hovertemplate="%{label}<br>%{text}<extra></extra>",
        marker={"colors": values, "colorscale": SEQUENTIAL, "reversescale": True},
        maxdepth=2,
    ))
    return laid_out(fig, lang, height=520, margin={"l": 0, "r": 0, "t": 10, "b": 0})
