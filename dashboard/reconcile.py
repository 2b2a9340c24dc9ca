"""How each page's total is made: one line per total, "total = part + part", every part
computed from the snapshot (issue 15).

The pages' totals differ for reasons (the map holds countries only, the grants page grants
only, the festival map known départements only): each page says its total as the sum of
parts that name those reasons, e.g. "118,8 M€ engagés = 107,0 M€ de subventions + 11,8 M€ de
cofinancements IATI ; dont 16,1 M€ sans pays connu". The line carries its numbers too
(`data-total`, `data-parts`: the equation's exact values), so a test checks that the parts
add up to the total and that each equals an independent query over the snapshot.

And "versés" (disbursed) is what a payment record says: the region's accounting for the grants
it covers, an IATI activity's disbursements otherwise; money neither covers has no payment
record, so its payments are "non suivi" (not tracked), never "0 €" (docs/money-rules.md, "Payments").
"""

from __future__ import annotations

import json

import polars as pl
from dash import html

from dashboard import grants_data, outcomes_data, reconcile_data
from dashboard.i18n import euros, euros_short, number, t

CENT = 0.005  # parts smaller than this are not said (but a lone part always is)


def _amount(value: float, kind: str, lang: str) -> str:
    return euros_short(value, lang) if kind == "euros" else number(value, lang)


def sentence(total: tuple[str, float], parts: list[tuple[str, float]], lang: str, *, kind: str = "euros",
             of_which: list[tuple[str, float]] = (), extra: dict | None = None) -> str:
    """'<total> = <part> + <part> − <part> ; dont <part>, <part>.' — each label a catalog key
    with an `{amount}` placeholder (and `extra` values); zero parts left out."""
    extra = extra or {}
    said = [(key, value) for key, value in parts if abs(value) >= CENT] or parts[:1]
    text = t(total[0], lang, amount=_amount(total[1], kind, lang), **extra.get(total[0], {}))
    for position, (key, value) in enumerate(said):
        words = t(key, lang, amount=_amount(abs(value), kind, lang), **extra.get(key, {}))
        sign = "=" if position == 0 else ("−" if value < 0 else "+")
        text += f" {sign} " + (f"−{words}" if position == 0 and value < 0 else words)
    inside = [t(key, lang, amount=_amount(value, kind, lang), **extra.get(key, {}))
              for key, value in of_which if abs(value) >= CENT]
    if inside:
        text += t("reconcile.of_which", lang, parts=_join(inside, lang))
    return text + "."


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("describe.list_last", lang, items=", ".join(items[:-1]), last=items[-1])


def line(element_id: str, total: tuple[str, float], parts: list[tuple[str, float]], lang: str, *,
         kind: str = "euros", of_which: list[tuple[str, float]] = (), extra: dict | None = None) -> html.P:
    """The reconciliation line: its sentence, and its exact numbers for the tests."""
    return html.P(
        sentence(total, parts, lang, kind=kind, of_which=of_which, extra=extra),
        id=element_id, className="hint reconciliation",
        **{"data-total": repr(float(total[1])), "data-parts": json.dumps([float(v) for _, v in parts]),
           "data-of-which": json.dumps([float(v) for _, v in of_which])},
    )


# ---- money: committed, disbursed, grants

def committed_line(element_id: str, filters, lang: str) -> html.P:
    """Flows and overview: committed = grants + IATI co-financing; of which no known country, regions."""
    p = reconcile_data.funding_parts(filters)
    return line(element_id, ("reconcile.total_committed", p["committed_eur"]),
                [("reconcile.part_grants", p["grant_eur"]), ("reconcile.part_cofinancing", p["cofinancing_eur"])],
                lang, of_which=[("reconcile.part_unknown_place", p["unknown_place_eur"]),
                                ("reconcile.part_regions", p["region_eur"])])


def places_line(element_id: str, filters, lang: str, measure: str = "committed_eur") -> html.P:
    """The world map: the measure = countries (the map) + IATI regions + no known country."""
    p = reconcile_data.funding_parts(filters)
    prefix = "" if measure == "committed_eur" else "disbursed_"
    total = "reconcile.total_committed" if measure == "committed_eur" else "reconcile.total_disbursed"
    return line(element_id, (total, p[measure]),
                [("reconcile.part_countries", p[f"{prefix}country_eur"]),
                 ("reconcile.part_regions", p[f"{prefix}region_eur"]),
                 ("reconcile.part_unknown_place", p[f"{prefix}unknown_place_eur"])],
                lang, extra={"reconcile.part_countries": {"count": number(p["countries"], lang)}})


def sectors_line(element_id: str, filters, lang: str) -> html.P:
    """The treemap: committed = money with a DAC category + money with none."""
    p = reconcile_data.funding_parts(filters)
    return line(element_id, ("reconcile.total_committed", p["committed_eur"]),
                [("reconcile.part_known_category", p["known_category_eur"]),
                 ("reconcile.part_unknown_category", p["unknown_category_eur"])], lang)


def grants_line(element_id: str, filters, lang: str) -> html.P:
    """The grants' total = committed − IATI co-financing (± grants counted whole under their main
    country or category, where a country or sector filter splits money by shares elsewhere)."""
    p = reconcile_data.funding_parts(filters)
    _, grants_total = grants_data.grants_summary(_grant_filters(filters))
    whole = grants_total - p["grant_eur"]
    return line(element_id, ("reconcile.total_grants", grants_total),
                [("reconcile.part_committed_all", p["committed_eur"]),
                 ("reconcile.part_cofinancing", -p["cofinancing_eur"]),
                 ("reconcile.part_whole_grants", whole)], lang)


def _grant_filters(filters):
    # the grants page filters a 5-digit sector on its category (a grant has one main category)
    return filters.with_(sector=filters.sector[:3]) if filters.sector else filters


# ---- payments: "versés" and "non suivi"

def not_tracked(committed: float | None, tracked: float | None, disbursed: float | None) -> bool:
    """No payment can be known: money committed, none of it covered by a payment record (the
    region's accounting or an IATI activity), nothing paid."""
    return bool(committed) and abs(tracked or 0) < CENT and abs(disbursed or 0) < CENT


def disbursed_cell(committed: float | None, tracked: float | None, disbursed: float | None, lang: str,
                   short: bool = False) -> str:
    """A disbursed amount as a table shows it: the euros, or 'non suivi'."""
    if not_tracked(committed, tracked, disbursed):
        return t("not_tracked", lang)
    if disbursed is None:
        return "–"
    return euros_short(disbursed, lang) if short else euros(disbursed, lang)


def payments_note(element_id: str, filters, lang: str) -> html.P:
    """What "versés" counts, and which committed money has no payment record (by programme)."""
    p = reconcile_data.funding_parts(filters)
    untracked = p["untracked_eur"]
    if abs(untracked) < CENT:
        text = t("payments.counted", lang)
    else:
        programmes = reconcile_data.untracked_by_programme(filters)
        names = [name if abs(part - whole) < CENT else
                 t("payments.part_of", lang, programme=name, amount=euros_short(part, lang))
                 for name, whole, part in programmes.select("programme", "committed_eur", "untracked_eur").iter_rows()]
        key = "payments.none_tracked" if not_tracked(p["committed_eur"], p["tracked_eur"], p["disbursed_eur"]) \
            else "payments.untracked"
        text = " ".join([t("payments.counted", lang),
                         t(key, lang, amount=euros_short(untracked, lang),
                           committed=euros_short(p["committed_eur"], lang), programmes=_join(names, lang))])
    return html.P(text, id=element_id, className="hint payments-note",
                  **{"data-untracked": repr(float(untracked))})


# ---- counts: festival participants, result measurements

def reach_line(element_id: str, filters, lang: str) -> html.P:
    """Festival participants = those of a known département (the map) + those of none."""
    p = reconcile_data.reach_parts(filters)
    return line(element_id, ("reconcile.total_participants", p["participants"]),
                [("reconcile.part_known_departement", p["known"]),
                 ("reconcile.part_unknown_departement", p["unknown"])], lang, kind="number")


def outcomes_line(element_id: str, filters, lang: str) -> html.P:
    """Result measurements = counted + without a target + without a value reached (period
    over / not over) + not a count."""
    p = outcomes_data.outcome_parts(filters)
    return line(element_id, ("reconcile.total_measurements", p["measurements"]),
                [("reconcile.part_counted", p["counted"]),
                 ("reconcile.part_without_target", p["without_target"]),
                 ("reconcile.part_not_due", p["without_actual_not_due"]),
                 ("reconcile.part_not_reported", p["without_actual_overdue"]),
                 ("reconcile.part_not_summable", p["not_summable"])], lang, kind="number")


def with_disbursed_text(frame: pl.DataFrame, lang: str, short: bool = False) -> pl.DataFrame:
    """`disbursed_text`: each row's disbursed money, or 'non suivi' (needs committed_eur,
    tracked_eur and disbursed_eur)."""
    return frame.with_columns(pl.struct("committed_eur", "tracked_eur", "disbursed_eur").map_elements(
        lambda r: disbursed_cell(r["committed_eur"], r["tracked_eur"], r["disbursed_eur"], lang, short),
        return_dtype=pl.String).alias("disbursed_text"))


def disbursed_texts(frame: pl.DataFrame, filters, keys: dict[str, str], lang: str,
                    short: bool = False) -> pl.DataFrame:
    """`frame` (with committed_eur and disbursed_eur) with `disbursed_text`: its disbursed money,
    or 'non suivi' where none of its committed money has a payment record. `keys` maps the
    frame's key columns to `funding`'s ({"country_code": "location_code"})."""
    tracked = reconcile_data.tracked_by(filters, tuple(keys.values())).rename({v: k for k, v in keys.items()})
    joined = (frame.join(tracked, on=list(keys), how="left", maintain_order="left")
              .with_columns(pl.col("tracked_eur").fill_null(0)))  # 0, not 0.0: the DECIMAL stays exact
    return with_disbursed_text(joined, lang, short)
