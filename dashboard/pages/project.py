"""Project pages (issue 16): `/project/<grant key>`, opened from a row of the grants grid or
from a country profile's list of grants.

The key is `grants_public.grant_key`, '<source file>:<line>' — stable across rebuilds of the
same files, and the grant's provenance at once. The page shows the grant as the public list
has it (a natural person's name and purpose are already replaced in the mart: "Personne
physique (anonymisée)", as in the grid), its payments (from the region's payment records, or
its IATI activity's disbursements, or "non suivi" where neither covers it: never 0 € for "not
known"; docs/money-rules.md "Payments"), its linked IATI activity (marts.project_activities: places and sectors with their
shares, transactions, and the activity's results with baseline, target and value reached),
and where the row comes from (file, line and the file's sha256 from the snapshot's manifest).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, grants_data, outcomes_data, security, snapshot
from dashboard.components import euros_switch, table
from dashboard.filters import parse, to_query
from dashboard.i18n import day, euros, number, percent, sentence_case, t
from dashboard.names import beneficiary_label

PREFIX = "/project/"

# no index page: `/project` alone is unknown (404), only `/project/<grant key>` exists
dash.register_page(__name__, path="/project", path_template="/project/<key>", name="project_page",
                   nav=False, index=False, order=92)


def known_key(value: str) -> bool:
    return grants_data.grant(unquote(value)) is not None


security.DYNAMIC_PATHS[PREFIX] = known_key


def split_key(key: str) -> tuple[str, str]:
    """'subventions_2023.csv:349' -> ('subventions_2023.csv', '349'): the file and its line."""
    file, _, line = key.rpartition(":")
    return file, line


def layout(key: str | None = None, **query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed).with_(country=None, departement=None)
    lang = filters.lang
    key = unquote(key or "")
    row = grants_data.grant(key, filters) if key and key != "none" else None
    if row is None:  # the app's own "page not found" (security.py sends it with a 404)
        return html.Div([html.H2(t("not_found", lang)), dcc.Link(t("back_home", lang), href="/")])
    return html.Div([
        html.H2(t("project.title", lang, reference=row["reference_decision"] or key), id="project-title"),
        html.P(dcc.Link(t("project.back_to_grants", lang), href="/grants" + to_query(filters)), className="hint"),
        euros_switch(filters, PREFIX + quote(key, safe=":"), lang),
        _grant(row, filters, allowed, lang),
        _payments(row, filters, lang),
        _activity(row, lang),
        _provenance(key, lang),
    ], className="project-page")


def _field(label: str, value, field_id: str) -> list:
    return [html.Dt(label), html.Dd(value if value not in (None, "") else "–", id=f"project-{field_id}")]


def _grant(row: dict, filters, allowed, lang: str) -> html.Section:
    place = row["main_location_code"]
    place_name = row.get(f"location_{lang}") or (t("unknown_place", lang) if place in (None, "unallocated") else place)
    # a known place links to its profile, with the reader's filters
    place_cell = (dcc.Link(place_name, href=f"/country/{place}" + to_query(filters), id="project-country-link")
                  if place in allowed.countries else place_name)
    category = row["main_category_code"]
    category_name = (sentence_case(row.get(f"category_{lang}"))
                     or (t("unknown_category", lang) if category in (None, "unallocated") else category))
    when = row["date_convention"]
    fields = [
        *_field(t("beneficiary", lang), row["beneficiary_name"], "beneficiary"),
        *_field(t("org_type", lang), beneficiary_label(row["beneficiary_type"], lang), "type"),
        *_field(t("purpose", lang), row["purpose"], "purpose"),
        *_field(t("amount", lang), euros(row["amount_eur"], lang) if row["amount_eur"] is not None else None, "amount"),
        *_field(t("decision", lang), row["reference_decision"], "decision"),
        *_field(t("date", lang), day(when, lang) if when else None, "date"),
        *_field(t("year", lang), str(row["year"]) if row["year"] is not None else None, "year"),
        *_field(t("programme", lang), row["programme"], "programme"),
        *_field(t("country_or_region", lang), place_cell, "country"),
        *_field(t("category", lang), category_name, "category"),
    ]
    return html.Section([html.H3(t("project.grant", lang)), html.Dl(fields, className="project-fields")],
                        className="chart-block", id="project-grant")


def _payments(row: dict, filters, lang: str) -> html.Section:
    """What was paid and where that is known from: the region's records (each payment listed),
    the IATI activity (its transactions below), or nowhere ("non suivi")."""
    source, amount = row.get("payments_source"), row["amount_eur"]
    parts: list = [html.H3(t("project.payments", lang))]
    if source is None:
        parts += [html.P(t("not_tracked", lang), className="kpi-value", id="project-payments"),
                  html.P(t("project.payments_not_tracked", lang), className="hint")]
        return html.Section(parts, className="chart-block", id="project-payments-block")
    payments = grants_data.grant_payments(row["grant_key"], filters) if source == "accounting" else None
    # the records' payments one by one (each in its own year's euros); the IATI total otherwise
    paid = sum(payments["amount_eur"], start=0) if payments is not None else (row["paid_eur"] or 0)
    share = (f" ({percent(float(paid) / float(amount), lang)})" if amount else "")
    parts.append(html.P(t("project.paid_total", lang, paid=euros(paid, lang), amount=euros(amount, lang)) + share,
                        className="kpi-value", id="project-payments", **{"data-paid": repr(float(paid))}))
    if source == "iati":
        parts.append(html.P(t("project.payments_iati", lang), className="hint"))
    elif payments is None or payments.is_empty():
        parts.append(html.P(t("project.payments_unpaid", lang), className="hint"))
    else:
        shown = payments.with_columns(
            pl.col("payment_date").map_elements(lambda d: day(d, lang), return_dtype=pl.String).alias("date_text"),
            pl.col("match_rule").map_elements(lambda r: t("payment_rule." + r, lang), return_dtype=pl.String))
        parts += [html.P(t("project.payments_accounting", lang), className="hint"),
                  table(shown, [("date_text", t("date", lang), "text"), ("amount_eur", t("amount", lang), "euros"),
                                ("match_rule", t("project.match_rule", lang), "text")], lang)]
    return html.Section(parts, className="chart-block", id="project-payments-block")


def _activity(row: dict, lang: str) -> html.Section:
    """The grant's linked IATI activity: its places and sectors with their shares, its
    transactions (as published and in euros) and its results (baseline, target, actual)."""
    activity = data.project_activity(row["grant_key"])
    if activity is None:
        return html.Section([html.H3(t("project.activity", lang)),
                             html.P(t("project.no_activity", lang), id="project-activity-none")],
                            className="chart-block", id="project-activity")
    places = pl.DataFrame(activity["places"] or [], schema={"location_kind": pl.String, "location_code": pl.String,
                                                            "share": pl.Decimal(38, 10)})
    places = places.with_columns(pl.col("location_code").map_elements(
        lambda c: t("unknown_place", lang) if c == "unallocated" else (data.place_name(c, lang) or c),
        return_dtype=pl.String).alias("name"))
    sectors = pl.DataFrame(activity["sectors"] or [], schema={"sector_code": pl.String, "category_code": pl.String,
                                                              "share": pl.Decimal(38, 10)})
    sectors = sectors.with_columns(pl.struct("sector_code", "category_code").map_elements(
        lambda r: _sector_words(r["sector_code"], r["category_code"], lang), return_dtype=pl.String).alias("name"))
    moves = pl.DataFrame(activity["transactions"] or [],
                         schema={"transaction_type": pl.String, "transaction_date": pl.Date, "value": pl.Decimal(38, 10),
                                 "currency": pl.String, "value_eur": pl.Decimal(38, 10)})
    moves = moves.with_columns(
        pl.col("transaction_type").map_elements(lambda c: _transaction_words(c, lang), return_dtype=pl.String)
        .alias("type_name"),
        pl.col("transaction_date").map_elements(lambda d: day(d, lang), return_dtype=pl.String).alias("date_text"),
        pl.struct("value", "currency").map_elements(lambda r: f"{number(r['value'], lang, digits=2)} {r['currency']}",
                                                    return_dtype=pl.String).alias("value_text"))
    results = outcomes_data.activity_outcomes(activity["iati_identifier"])
    return html.Section([
        html.H3(t("project.activity", lang)),
        html.P([html.Code(activity["iati_identifier"], id="project-iati-identifier"), " — ",
                activity["activity_title"] or "–"]),
        html.H4(t("project.places", lang)),
        table(places, [("name", t("country_or_region", lang), "text"), ("share", t("project.share", lang), "percent")],
              lang),
        html.H4(t("project.sectors", lang)),
        table(sectors, [("name", t("project.sector", lang), "text"), ("share", t("project.share", lang), "percent")],
              lang),
        html.H4(t("project.transactions", lang)),
        table(moves, [("date_text", t("date", lang), "text"), ("type_name", t("project.transaction_type", lang), "text"),
                      ("value_text", t("project.value", lang), "text"), ("value_eur", t("amount", lang), "euros")],
              lang),
        html.H4(t("country.results", lang)),
        table(results, [("indicator_title", t("country.indicator", lang), "text"),
                        ("period_end", t("project.period_end", lang), "text"),
                        ("baseline_value", t("country.baseline", lang), "number1"),
                        ("target_value", t("country.target", lang), "number1"),
                        ("actual_value", t("country.actual", lang), "number1")], lang)
        if results.height else html.P(t("project.no_results", lang), id="project-no-results"),
    ], className="chart-block", id="project-activity")


def _sector_words(sector: str, category: str, lang: str) -> str:
    """A DAC sector by name ('Éducation de base' ...), else its category's, else what is not known."""
    if sector and sector != "unallocated":
        return data.sector_name(sector, lang) or t("unnamed_sector", lang, code=sector)
    if category and category != "unallocated":
        return data.sector_name(category, lang) or t("unnamed_category", lang, code=category)
    return t("unknown_category", lang)


def _transaction_words(code: str, lang: str) -> str:
    """An IATI transaction type by its codelist name ('Décaissement'), else its code."""
    try:
        return t(f"iati_transaction.{code}", lang)
    except KeyError:
        return code


def _provenance(key: str, lang: str) -> html.Section:
    file, line = split_key(key)
    source = snapshot.source_file("grants", file)
    fields = [*_field(t("project.file", lang), file, "file"),
              *_field(t("project.line", lang), line, "line"),  # a line number, not a quantity: no separators
              *_field("sha256", html.Code(source["sha256"]) if source and source["sha256"] else None, "sha256")]
    return html.Section([html.H3(t("project.provenance", lang)), html.Dl(fields, className="project-fields")],
                        className="chart-block", id="project-provenance")
