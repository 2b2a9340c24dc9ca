"""Country profiles (`/country/<ISO3>`) and project pages (`/project/<grant key>`), issue 16.

Every figure a page shows is read again from the snapshot with SQL written here, over other
tables where the snapshot has them (`funding` for the money the pages take from
`funding_reconciliation`, `countries` for the context, the raw file itself for the sha256);
natural persons' names come from the warehouse (the snapshot has none) and must appear on no
page. Opening them by a click: test_country_project_pages_clicks.py.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote, unquote, urlsplit

import pytest

from dash_pages import by_id as _by_id, nodes as _nodes, render as _render, text as _text
from dashboard.components import markdown_cell
from dashboard.i18n import day, euros, euros_short, number, percent, t
from snapshot import sql
from country_project_checks import _top_country


def _figure(tree, chart_id: str) -> dict:
    return next(n for n in _nodes(tree) if n["props"].get("id") == {"type": "chart", "id": chart_id})["props"]["figure"]


# ------------------------------------------------------------------ country profile

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_country_profile_figures_equal_the_snapshot(serving, client, lang):
    code = _top_country(serving)
    years = [y for (y,) in sql(serving, "select distinct year from funding where location_code = $c "
                                         "order by year", {"c": code})]
    first, last = years[-3], years[-1]
    search = f"?years={first}-{last}" + ("&lang=en" if lang == "en" else "")
    tree = _render(client, f"/country/{code}", search)
    where, params = "location_code = $c and year between $a and $b", {"c": code, "a": first, "b": last}

    # names and context from the reference table
    name_fr, name_en, ldc, population, region_fr, region_en = sql(
        serving, "select name_fr, name_en, ldc, population, dac_region_fr, dac_region_en from countries "
                 "where alpha3 = $c", {"c": code})[0]
    assert _text(_by_id(tree, "country-name")) == (name_fr if lang == "fr" else name_en)
    assert _text(_by_id(tree, "country-ldc")) == t("country.ldc_yes" if ldc else "country.ldc_no", lang)
    assert number(population, lang) in _text(_by_id(tree, "country-population"))
    assert (region_fr if lang == "fr" else region_en) in _text(_by_id(tree, "country-region"))

    # KPIs: committed and paid from `funding` (the page reads funding_reconciliation)
    committed, disbursed = sql(serving, f"select sum(committed_eur), sum(disbursed_eur) from funding where {where}",
                                params)[0]
    tracked = sql(serving, f"select coalesce(sum(committed_eur) filter (where payments_tracked), 0) "
                            f"from funding_reconciliation where {where}", params)[0][0]
    card = _by_id(tree, "country-committed_eur")["props"]
    assert float(card["data-value"]) == pytest.approx(float(committed), rel=1e-12)
    assert _text(card["children"]) == euros_short(committed, lang)
    paid = _by_id(tree, "country-disbursed_eur")["props"]
    if tracked == 0 and not disbursed:
        assert _text(paid["children"]) == t("not_tracked", lang) and paid["data-value"] == ""
    else:
        assert _text(paid["children"]) == euros_short(disbursed, lang)

    # money by year: the chart's bars
    by_year = {y: (c, d) for y, c, d in sql(serving, f"select year, sum(committed_eur), sum(disbursed_eur) "
                                                      f"from funding where {where} group by 1", params)}
    bars = {trace["name"]: dict(zip(trace["x"], trace["y"])) for trace in _figure(tree, "country-years")["data"]}
    assert set(bars[t("committed_eur", lang)]) == set(by_year)
    for year, (c, d) in by_year.items():
        assert bars[t("committed_eur", lang)][year] == pytest.approx(float(c), rel=1e-12)
        assert bars[t("disbursed_eur", lang)][year] == pytest.approx(float(d or 0), rel=1e-12, abs=1e-9)

    # by programme and by DAC category: every row in the table, the bars add up to the total
    for chart, column in (("country-programmes", "programme"), ("country-categories", "category_code")):
        expected = sql(serving, f"select {column}, sum(committed_eur) from funding where {where} "
                                 f"group by 1 order by round(sum(committed_eur), 2) desc, 1", params)
        figure = _figure(tree, chart)
        drawn = figure["data"][0]["x"]
        assert sum(drawn) == pytest.approx(float(committed), rel=1e-9)
        assert drawn[0] == pytest.approx(float(expected[0][1]), rel=1e-12)  # the largest first
        assert len(drawn) == (len(expected) if len(expected) <= 9 else 9)
        table = _text(_by_id(tree, chart))
        for _, amount in expected:
            assert markdown_cell(euros(amount, lang)) in table

    # the region's organisations there: names from grants_public, natural persons left out
    orgs = sql(serving, "select beneficiary_name, sum(amount_eur) from grants_public where main_location_code = $c "
                         "and year between $a and $b and beneficiary_type is distinct from 'personne_physique' "
                         "group by beneficiary_name, beneficiary_type order by 2 desc, 1", params)
    block = _text(_by_id(tree, "country-organisations"))
    assert t("country.organisations_note", lang, count=number(len(orgs), lang)) in block
    for name, amount in orgs[:300]:
        assert markdown_cell(name) in block
    persons = sql(serving, "select count(*), sum(amount_eur) from grants_public where main_location_code = $c "
                            "and year between $a and $b and beneficiary_type = 'personne_physique'", params)[0]
    if persons[0]:
        assert _text(_by_id(tree, "country-persons")) == t("country.persons", lang, count=number(persons[0], lang),
                                                            amount=euros_short(persons[1], lang))

    # projects: the largest grants, each linking to its project page with the filters
    keys = [k for (k,) in sql(serving, "select grant_key from grants_public where main_location_code = $c "
                                         "and year between $a and $b order by amount_eur desc, grant_key limit 50",
                               params)]
    links = [n["props"]["href"] for n in _nodes(_by_id(tree, "country-projects")) if n["type"] == "Link"]
    assert [unquote(urlsplit(h).path.removeprefix("/project/")) for h in links] == keys
    assert all(urlsplit(h).query == search.lstrip("?") for h in links)

    # results: every outcomes row of the place and years
    results = sql(serving, "select count(*) from outcomes where location_code = $c and year between $a and $b",
                   params)[0][0]
    assert t("country.results_note", lang, count=number(results, lang)) in _text(_by_id(tree, "country-results"))


def test_a_country_profile_keeps_the_programme_filter_and_drops_a_country_one(serving, client):
    code = _top_country(serving)
    programme, amount = sql(serving, "select programme, sum(committed_eur) from funding where location_code = $c "
                                      "group by 1 order by 2 desc limit 1", {"c": code})[0]
    other = sql(serving, "select location_code from funding where location_kind = 'country' "
                          "and location_code <> $c limit 1", {"c": code})[0][0]
    tree = _render(client, f"/country/{code}", f"?programme={quote(programme)}&country={other}")
    card = _by_id(tree, "country-committed_eur")["props"]
    assert float(card["data-value"]) == pytest.approx(float(amount), rel=1e-12)
    assert _figure(tree, "country-programmes")["data"][0]["x"] == [pytest.approx(float(amount), rel=1e-12)]


def test_unknown_or_unfunded_places_and_grants_answer_404(serving, client):
    code = _top_country(serving)
    unfunded = sql(serving, "select alpha3 from countries where alpha3 not in "
                             "(select location_code from funding) order by 1 limit 1")[0][0]
    key = sql(serving, "select grant_key from grants_public order by grant_key limit 1")[0][0]
    for path in (f"/country/{code}", f"/project/{quote(key, safe=':')}"):
        assert client.get(path).status_code == 200, path
    for path in ("/country", "/project", f"/country/{unfunded}", "/country/XXX", "/country/<script>", f"/country/{code}/x",
                 "/project/nope", f"/project/{key}0000", "/project/..%2F..%2Fetc"):
        assert client.get(path).status_code == 404, path
    tree = _render(client, f"/country/{unfunded}")
    assert _text(tree).startswith(t("not_found", "fr"))


# ------------------------------------------------------------------ project page

def _linked_grant(serving) -> tuple:
    """A grant to an organisation, in a known country, whose linked activity has IATI results."""
    return sql(serving, "select g.* from grants_public as g join project_activities as p using (grant_key) "
                         "where g.beneficiary_type <> 'personne_physique' and g.main_location_code in "
                         "(select alpha3 from countries) and p.iati_identifier in (select iati_identifier from outcomes) "
                         "order by g.amount_eur desc, g.grant_key limit 1")[0]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_project_page_fields_equal_the_snapshot_row(built, client, sample_dir, lang):
    _, warehouse, serving = built
    columns = [c for (c,) in sql(serving, "select column_name from information_schema.columns "
                                           "where table_name = 'grants_public' order by ordinal_position")]
    row = dict(zip(columns, _linked_grant(serving)))
    key = row["grant_key"]
    tree = _render(client, f"/project/{quote(key, safe=':')}", "?lang=en" if lang == "en" else "")
    field = lambda name: _text(_by_id(tree, f"project-{name}"))  # noqa: E731
    assert field("beneficiary") == row["beneficiary_name"]
    assert field("purpose") == row["purpose"]
    assert field("amount") == euros(row["amount_eur"], lang)
    assert field("decision") == row["reference_decision"]
    assert field("date") == day(row["date_convention"], lang)
    assert field("year") == str(row["year"])
    assert field("programme") == row["programme"]
    country = sql(serving, f"select name_{lang} from countries where alpha3 = $c", {"c": row["main_location_code"]})
    assert field("country") == country[0][0]
    assert _by_id(tree, "project-country-link")["props"]["href"].startswith(f"/country/{row['main_location_code']}")
    # what was paid: the grant's payments as the region's records give them (tests/test_payments.py
    # reads them again from the raw payment files); this grant's programme is covered by them
    (paid,) = sql(serving, "select coalesce(sum(amount_eur), 0) from grant_payments where grant_key = $k",
                   {"k": key})[0]
    assert row["payments_source"] == "accounting"
    assert field("payments").startswith(euros(paid, lang))
    # the linked activity, read from the warehouse's link, shares and transactions
    (identifier,) = sql(warehouse, "select iati_identifier from staging.grant_activities where grant_key = $k",
                         {"k": key})[0]
    assert field("iati-identifier") == identifier
    block = _text(_by_id(tree, "project-activity"))
    places = sql(warehouse, f"select coalesce(c.name_{lang}, l.location_code), l.share from staging.location_shares "
                             f"as l left join ref.countries as c on c.alpha3 = l.location_code "
                             f"where l.iati_identifier = $i", {"i": identifier})
    sectors = sql(warehouse, "select sector_code, share from staging.sector_shares where iati_identifier = $i",
                   {"i": identifier})
    assert places and sectors
    for name, share in places:
        assert f"| {markdown_cell(name)} | {markdown_cell(percent(share, lang))} |" in block
    for _, share in sectors:
        assert f" | {markdown_cell(percent(share, lang))} |" in block
    moves = sql(warehouse, "select value_eur from staging.transactions_eur where iati_identifier = $i", {"i": identifier})
    assert moves
    for (value_eur,) in moves:
        assert markdown_cell(euros(value_eur, lang)) in block
    # its results: one table line per measurement, after the results' heading
    measurements = sql(serving, "select count(*) from outcomes where iati_identifier = $i", {"i": identifier})[0][0]
    results = block.split(t("country.results", lang), 1)[1]
    assert measurements > 0 and results.count("\n|") == measurements + 1  # the rule line, then the rows
    # provenance: the file and line of the key, the sha256 of the raw file itself
    file, line = key.rsplit(":", 1)
    assert field("file") == file and field("line") == line
    raw = next(p for p in sample_dir.rglob(file.split("/")[-1]) if p.is_file())
    assert field("sha256") == hashlib.sha256(raw.read_bytes()).hexdigest()


def test_a_grant_with_no_linked_activity_says_so(serving, client):
    key = sql(serving, "select grant_key from grants_public where grant_key not in "
                        "(select grant_key from project_activities) order by grant_key limit 1")[0][0]
    tree = _render(client, f"/project/{quote(key, safe=':')}", "?lang=en")
    assert _text(_by_id(tree, "project-activity-none")) == t("project.no_activity", "en")


def test_no_natural_person_is_named_on_any_country_or_project_page(built, client):
    """Names of natural persons (the warehouse's; the snapshot replaced them) on no profile of a
    country they got a grant in, and on none of their grants' project pages."""
    _, warehouse, serving = built
    people = sql(warehouse, "select g.grant_key, g.beneficiary_name, g.purpose from staging.grants as g "
                             "where g.is_natural_person")
    assert people, "the sample has natural persons: the test needs some"
    names = {name for _, name, _ in people if name}
    keys = [k for k, _, _ in people]
    places = {c for (c,) in sql(serving, "select distinct main_location_code from grants_public where grant_key in "
                                          "(select unnest($k)) and main_location_code <> 'unallocated'", {"k": keys})}
    assert places
    pages = [(f"/country/{c}", lang) for c in sorted(places) for lang in ("", "?lang=en")]
    pages += [(f"/project/{quote(k, safe=':')}", "") for k in keys[:25]]
    # organisations may bear a person's name ('Lycée Louise Michel', a natural person 'Louise Michel'):
    # their names, as written and as a Markdown table writes them, are taken out before looking
    organisations = {n for (n,) in sql(serving, "select distinct beneficiary_name from grants_public "
                                                 "where beneficiary_type is distinct from 'personne_physique'")}
    written = sorted({w for n in organisations for w in (n, markdown_cell(n))}, key=len, reverse=True)
    for path, search in pages:
        text = json.dumps(_render(client, path, search), ensure_ascii=False)
        for organisation in written:
            text = text.replace(organisation, "")
        leaked = [n for n in names if n in text or markdown_cell(n) in text]
        assert not leaked, (path, leaked[:3])
    # and a person's project page says who in the grid's words, never their purpose
    tree = _render(client, f"/project/{quote(keys[0], safe=':')}")
    anonymised = sql(serving, "select beneficiary_name from grants_public where grant_key = $k", {"k": keys[0]})[0][0]
    assert _text(_by_id(tree, "project-beneficiary")) == anonymised
    assert _text(_by_id(tree, "project-purpose")) == "–"
