"""Generated text descriptions of each chart, French or English: the chart's alt text.

One function per figure builder in `dashboard.figures`, same name, same frame in,
a sentence or two out (total, leading items, trend), with French number formats.
Screen readers read these; so do officials skimming a printed page.
"""

from __future__ import annotations

import polars as pl

from dashboard.figures import beneficiary_label, euros_per_capita, readable_names
from dashboard.i18n import euros_short, lang_of, number, percent

_NO_DATA = {"fr": "Aucune donnée pour cette sélection.", "en": "No data for this selection."}


def _fr(lang: str) -> bool:
    return lang_of(lang) == "fr"


def _colon(lang: str) -> str:
    return "\u00a0: " if _fr(lang) else ": "


def _list(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if _fr(lang) else " and ") + items[-1]


def _top(df: pl.DataFrame, key: str, value: str, lang: str, n: int = 3, money: bool = True) -> str:
    total = df[value].sum() or 0
    ranked = df.group_by(key).agg(pl.col(value).sum()).sort([value, key], descending=[True, False]).head(n)
    items = []
    for name, v in ranked.iter_rows():
        shown = euros_short(v, lang) if money else number(v, lang)
        share = f", {percent(v / total, lang)}" if total else ""
        items.append(f"{name} ({shown}{share})")
    return _list(items, lang)


def funding_by_year(df: pl.DataFrame, lang: str = "fr") -> str:
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    by_year = df.group_by("year").agg(pl.col("committed_eur").sum(), pl.col("disbursed_eur").sum()).sort("year")
    first, last = by_year["year"][0], by_year["year"][-1]
    committed, disbursed = by_year["committed_eur"].sum(), by_year["disbursed_eur"].sum()
    if _fr(lang):
        text = (f"De {first} à {last}, {euros_short(committed, lang)} engagés et "
                f"{euros_short(disbursed, lang)} versés." if first != last else
                f"En {first}, {euros_short(committed, lang)} engagés et {euros_short(disbursed, lang)} versés.")
    else:
        text = (f"From {first} to {last}, {euros_short(committed, lang)} committed and "
                f"{euros_short(disbursed, lang)} disbursed." if first != last else
                f"In {first}, {euros_short(committed, lang)} committed and {euros_short(disbursed, lang)} disbursed.")
    if by_year.height >= 2:
        prev, cur = by_year["committed_eur"][-2], by_year["committed_eur"][-1]
        change = percent(cur / prev - 1, lang, signed=True) if prev else "–"
        peak = by_year.sort(["committed_eur", "year"], descending=[True, False]).row(0, named=True)
        if _fr(lang):
            text += (f" En {last}{_colon(lang)}{euros_short(cur, lang)} engagés ({change} sur un an) ;"
                     f" année la plus haute{_colon(lang)}{peak['year']} ({euros_short(peak['committed_eur'], lang)}).")
        else:
            text += (f" In {last}: {euros_short(cur, lang)} committed ({change} on the year before);"
                     f" highest year: {peak['year']} ({euros_short(peak['committed_eur'], lang)}).")
    return text


def world_map(df: pl.DataFrame, lang: str = "fr", measure: str = "committed_eur",
              per_capita: bool = False) -> str:
    df = df.filter(pl.col("country_code").str.contains(r"^[A-Z]{3}$"))
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    name = "name_fr" if _fr(lang) else "name_en"
    if per_capita:
        return _world_per_capita(df, name, measure, lang)
    total = df[measure].sum()
    countries = df["country_code"].n_unique()
    top = _top(df, name, measure, lang)
    verb = {"committed_eur": ("engagés", "committed"), "disbursed_eur": ("versés", "disbursed")}[measure]
    if _fr(lang):
        return f"{euros_short(total, lang)} {verb[0]} dans {countries} pays. Premiers pays{_colon(lang)}{top}."
    return f"{euros_short(total, lang)} {verb[1]} in {countries} countries. Leading countries: {top}."


def _world_per_capita(df: pl.DataFrame, name: str, measure: str, lang: str) -> str:
    column = f"{measure}_per_capita"
    known = df.filter(pl.col(column).is_not_null())
    count = known["country_code"].n_unique()
    missing = df.filter(pl.col(column).is_null())[name].unique().sort().to_list()
    verb = {"committed_eur": ("engagés", "committed"), "disbursed_eur": ("versés", "disbursed")}[measure]
    ranked = known.sort([column, name], descending=[True, False]).head(3)
    top = _list([f"{n} ({euros_per_capita(v, lang)})" for n, v in ranked.select(name, column).iter_rows()], lang)
    if _fr(lang):
        text = (f"Montants {verb[0]} par habitant, sur la période choisie, dans {count} pays. "
                f"Les plus élevés{_colon(lang)}{top}." if count else "Aucun pays avec une population connue.")
        if missing:
            text += f" Sans population connue{_colon(lang)}{_list(missing, lang)}."
        return text
    text = (f"Amounts {verb[1]} per inhabitant, over the selected period, in {count} countries. "
            f"Highest: {top}." if count else "No country with a known population.")
    if missing:
        text += f" No known population: {_list(missing, lang)}."
    return text


def flows_sankey(df: pl.DataFrame, lang: str = "fr") -> str:
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    total = df["committed_eur"].sum()
    df = readable_names(df, lang).with_columns(pl.col("beneficiary_type").map_elements(lambda c: beneficiary_label(c, lang),
                                                                 return_dtype=pl.String))
    programme = _top(df, "programme", "committed_eur", lang, n=1)
    kind = _top(df, "beneficiary_type", "committed_eur", lang, n=1)
    category = _top(df.filter(pl.col("category_code") != "unallocated"), "category_name", "committed_eur", lang, n=1)
    place = _top(df.filter(pl.col("location_code") != "unallocated"), "location_name", "committed_eur", lang, n=1)
    c = _colon(lang)
    if _fr(lang):
        return (f"{euros_short(total, lang)} engagés, du programme au pays. Premier programme{c}{programme} ; "
                f"premier type de structure{c}{kind} ; première catégorie{c}{category} ; premier pays{c}{place}.")
    return (f"{euros_short(total, lang)} committed, from programme to country. Leading programme: {programme}; "
            f"organisation type: {kind}; category: {category}; country: {place}.")


def sectors_treemap(df: pl.DataFrame, lang: str = "fr") -> str:
    df = readable_names(df.filter(pl.col("committed_eur") > 0), lang)
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    total = df["committed_eur"].sum()
    cats = df.filter(pl.col("category_code") != "unallocated")["category_code"].n_unique()
    secs = df.filter(pl.col("sector_code") != "unallocated")["sector_code"].n_unique()
    top = _top(df, "category_name", "committed_eur", lang)
    if _fr(lang):
        return (f"{euros_short(total, lang)} engagés dans {cats} catégories et {secs} secteurs du CAD. "
                f"Premières catégories{_colon(lang)}{top}.")
    return f"{euros_short(total, lang)} committed across {cats} DAC categories and {secs} sectors. Leading: {top}."


def departements_map(df: pl.DataFrame, lang: str = "fr", value_label: str = "") -> str:
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    total = df["value"].sum()
    n = df["departement_code"].n_unique()
    top = _top(df, "name", "value", lang, money=False)
    label = value_label.lower() if value_label else ("valeur" if _fr(lang) else "value")
    if _fr(lang):
        return f"{number(total, lang)} ({label}) dans {n} départements. En tête{_colon(lang)}{top}."
    return f"{number(total, lang)} ({label}) across {n} départements. Leading: {top}."


def campaign_reach_bars(df: pl.DataFrame, lang: str = "fr") -> str:
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    axis = "year" if "year" in df.columns else "departement"
    events, people, young = (float(df[c].sum()) for c in ("events", "participants", "young_participants"))
    share = percent(young / people, lang) if people else "–"
    if _fr(lang):
        text = (f"{number(events, lang)} animations, {number(people, lang)} participants dont "
                f"{number(young, lang)} jeunes ({share}).")
    else:
        text = (f"{number(events, lang)} events, {number(people, lang)} participants including "
                f"{number(young, lang)} young people ({share}).")
    top = _top(df.with_columns(pl.col(axis).cast(pl.String)), axis, "participants", lang, n=1, money=False)
    text += (f" Le plus de participants{_colon(lang)}{top}." if _fr(lang) else f" Most participants: {top}.")
    return text


def outcomes_achievement(df: pl.DataFrame, lang: str = "fr") -> str:
    df = df.filter(pl.col("achievement").is_not_null())
    if df.is_empty():
        return _NO_DATA[lang_of(lang)]
    n = df.height
    met = df.filter(pl.col("achievement") >= 1).height
    share = percent(met / n, lang)
    if _fr(lang):
        return f"{number(n, lang)} mesures d'indicateurs ; {number(met, lang)} ont atteint ou dépassé leur cible ({share})."
    return f"{number(n, lang)} indicator measurements; {number(met, lang)} reached or beat their target ({share})."
