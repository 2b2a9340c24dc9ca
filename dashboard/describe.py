"""Generated text descriptions of each chart, French or English: the chart's alt text.

One function per figure builder in `dashboard/charts/`, same name, same frame in,
a sentence or two out (total, leading items, trend). The sentences are catalog entries
(`describe.*` in `dashboard/locales/`); numbers are formatted here, in the reader's
locale, before they fill the placeholders. Screen readers read these; so do officials
skimming a printed page.
"""

from __future__ import annotations

import polars as pl

from dashboard.charts.flows import sankey_nodes
from dashboard.figures import euros_per_capita
from dashboard.i18n import euros_short, lang_of, number, percent, t
from dashboard.names import UNKNOWN, readable_names
from dashboard.reconcile import not_tracked

# which participle a measure takes ("engagés" / "committed")
_VERB = {"committed_eur": "describe.committed", "disbursed_eur": "describe.disbursed"}


def _no_data(lang: str) -> str:
    return t("describe.no_data", lang)


def _list(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("describe.list_last", lang, items=", ".join(items[:-1]), last=items[-1])


def _top(df: pl.DataFrame, key: str, value: str, lang: str, n: int = 3, money: bool = True,
         total: float | None = None) -> str:
    total = (df[value].sum() or 0) if total is None else total
    ranked = df.group_by(key).agg(pl.col(value).sum()).sort([value, key], descending=[True, False]).head(n)
    items = []
    for name, v in ranked.iter_rows():
        shown = euros_short(v, lang) if money else number(v, lang)
        share = f", {percent(v / total, lang)}" if total else ""
        items.append(f"{name} ({shown}{share})")
    return _list(items, lang)


def funding_by_year(df: pl.DataFrame, lang: str = "fr") -> str:
    if df.is_empty():
        return _no_data(lang)
    by_year = df.group_by("year").agg(pl.col("committed_eur").sum(), pl.col("disbursed_eur").sum()).sort("year")
    first, last = by_year["year"][0], by_year["year"][-1]
    committed = euros_short(by_year["committed_eur"].sum(), lang)
    disbursed = euros_short(by_year["disbursed_eur"].sum(), lang)
    # with a `tracked_eur` column (reconcile_data.funding_tracking_by_year): no payment record is "not tracked", not 0
    untracked = "tracked_eur" in df.columns and not_tracked(
        df["committed_eur"].sum(), df["tracked_eur"].sum(), df["disbursed_eur"].sum())
    if untracked:
        parts = [t("describe.funding_by_year_not_tracked", lang, first=first, last=last, committed=committed)
                 if first != last else
                 t("describe.funding_by_year_single_not_tracked", lang, year=first, committed=committed)]
    else:
        parts = [t("describe.funding_by_year", lang, first=first, last=last, committed=committed, disbursed=disbursed)
                 if first != last else
                 t("describe.funding_by_year_single", lang, year=first, committed=committed, disbursed=disbursed)]
    if by_year.height >= 2:
        prev, cur = by_year["committed_eur"][-2], by_year["committed_eur"][-1]
        change = percent(cur / prev - 1, lang, signed=True) if prev else "–"
        peak = by_year.sort(["committed_eur", "year"], descending=[True, False]).row(0, named=True)
        parts.append(t("describe.funding_by_year_trend", lang, last=last, current=euros_short(cur, lang),
                       change=change, peak_year=peak["year"], peak=euros_short(peak["committed_eur"], lang)))
    return " ".join(parts)


def world_map(df: pl.DataFrame, lang: str = "fr", measure: str = "committed_eur",
              per_capita: bool = False) -> str:
    df = df.filter(pl.col("country_code").str.contains(r"^[A-Z]{3}$"))
    if df.is_empty():
        return _no_data(lang)
    name = "name_fr" if lang_of(lang) == "fr" else "name_en"  # a column choice, not words
    if per_capita:
        return _world_per_capita(df, name, measure, lang)
    return t("describe.world_map", lang, total=euros_short(df[measure].sum(), lang), verb=t(_VERB[measure], lang),
             count=df["country_code"].n_unique(), top=_top(df, name, measure, lang))


def _world_per_capita(df: pl.DataFrame, name: str, measure: str, lang: str) -> str:
    column = f"{measure}_per_capita"
    known = df.filter(pl.col(column).is_not_null())
    count = known["country_code"].n_unique()
    missing = df.filter(pl.col(column).is_null())[name].unique().sort().to_list()
    ranked = known.sort([column, name], descending=[True, False]).head(3)
    top = _list([f"{n} ({euros_per_capita(v, lang)})" for n, v in ranked.select(name, column).iter_rows()], lang)
    parts = [t("describe.world_per_capita", lang, verb=t(_VERB[measure], lang), count=count, top=top)
             if count else t("describe.world_per_capita_none", lang)]
    if missing:
        parts.append(t("describe.world_per_capita_missing", lang, countries=_list(missing, lang)))
    return " ".join(parts)


# per stage, the catalog keys for: its largest node, its only node, none known
_SANKEY_WORDS = tuple((f"describe.sankey_first_{w}", f"describe.sankey_only_{w}", f"describe.sankey_none_{w}")
                      for w in ("programme", "type", "category", "place"))


def flows_sankey(df: pl.DataFrame, lang: str = "fr") -> str:
    """'118,8 M€ engagés, du programme au pays. Premier programme : … ; premier type : … ;
    première catégorie : … ; premier pays ou région : ….' Every stage says something under any
    filter: its largest node, its only node, or that none is known (a stage left with
    'unallocated' only). Computed on every node, never on the diagram's grouped ones."""
    if df.is_empty():
        return _no_data(lang)
    total = df["committed_eur"].sum()
    nodes = sankey_nodes(df, lang)
    parts = []
    for stage, (first, only, none) in enumerate(_SANKEY_WORDS):
        known = nodes.filter((pl.col("stage") == stage) & ~pl.col("code").is_in(list(UNKNOWN)))
        if known.is_empty():
            parts.append(t(none, lang))
            continue
        parts.append(t(first if known.height > 1 else only, lang,
                       item=_top(known, "label", "committed_eur", lang, n=1, total=total)))
    said = t("describe.sankey_sep", lang).join(parts)
    return f"{t('describe.sankey_intro', lang, total=euros_short(total, lang))} {said[:1].upper()}{said[1:]}."


def sectors_treemap(df: pl.DataFrame, lang: str = "fr") -> str:
    df = readable_names(df.filter(pl.col("committed_eur") > 0), lang)
    if df.is_empty():
        return _no_data(lang)
    return t("describe.sectors_treemap", lang, total=euros_short(df["committed_eur"].sum(), lang),
             categories=df.filter(pl.col("category_code") != "unallocated")["category_code"].n_unique(),
             sectors=df.filter(pl.col("sector_code") != "unallocated")["sector_code"].n_unique(),
             top=_top(df, "category_name", "committed_eur", lang))


def departements_map(df: pl.DataFrame, lang: str = "fr", value_label: str = "") -> str:
    if df.is_empty():
        return _no_data(lang)
    label = value_label.lower() if value_label else t("describe.value", lang)
    return t("describe.departements_map", lang, total=number(df["value"].sum(), lang), label=label,
             count=df["departement_code"].n_unique(), top=_top(df, "name", "value", lang, money=False))


def campaign_reach_bars(df: pl.DataFrame, lang: str = "fr") -> str:
    if df.is_empty():
        return _no_data(lang)
    axis = "year" if "year" in df.columns else "departement"
    events, people, young = (float(df[c].sum()) for c in ("events", "participants", "young_participants"))
    share = percent(young / people, lang) if people else "–"
    top = _top(df.with_columns(pl.col(axis).cast(pl.String)), axis, "participants", lang, n=1, money=False)
    return " ".join([
        t("describe.campaign_reach", lang, events=number(events, lang), people=number(people, lang),
          young=number(young, lang), share=share),
        t("describe.campaign_reach_top", lang, top=top),
    ])


def outcomes_achievement(df: pl.DataFrame, lang: str = "fr") -> str:
    df = df.filter(pl.col("achievement").is_not_null())
    if df.is_empty():
        return _no_data(lang)
    n = df.height
    met = df.filter(pl.col("achievement") >= 1).height
    return t("describe.outcomes_achievement", lang, count=number(n, lang), met=number(met, lang),
             share=percent(met / n, lang))


def outcome_totals(df: pl.DataFrame, lang: str = "fr") -> str:
    """'Nombre d'enfants scolarisés : 343 901 (88 % de la cible) ; …' — the totals the
    results hold, largest first."""
    if df.is_empty():
        return _no_data(lang)
    items = []
    for row in df.filter(pl.col("actual_total").is_not_null()).iter_rows(named=True):
        values = {"total": number(row["actual_total"], lang), "indicator": row["indicator_title"]}
        if row["target_share"] is not None:
            items.append(t("describe.outcome_total_item", lang, share=percent(row["target_share"], lang), **values))
        else:
            items.append(t("describe.outcome_total_item_no_share", lang, **values))
    if not items:
        return t("describe.outcome_totals_none", lang)
    return t("describe.outcome_totals", lang, items=t("describe.sankey_sep", lang).join(items))


def committed_against_target(df: pl.DataFrame, lang: str = "fr") -> str:
    """The latest year against its target, and the years the target was met."""
    if df.is_empty():
        return t("describe.no_data", lang)
    rows = df.sort("year").to_dicts()
    last = rows[-1]
    met = [r for r in rows if r["target"] and r["value"] >= r["target"]]
    text = t("describe.committed_latest", lang, year=last["year"], committed=euros_short(last["value"], lang))
    if last["target"]:
        text += " " + t("describe.committed_target", lang, share=percent(last["value"] / last["target"], lang),
                        target=euros_short(last["target"], lang))
    with_target = [r for r in rows if r["target"]]
    if with_target:
        text += " " + t("describe.target_met_years", lang, met=len(met), total=len(with_target))
    return text
