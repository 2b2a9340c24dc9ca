"""The council brief (`/brief`, issue 16): a PDF read back with pypdf, never with the code under test.

The figures it must show are read here with SQL over the snapshot and written with the French
rules by hand (thousands grouped by a space, a decimal comma, `M€` / `k€`, `%` after a space);
texts are compared after every kind of space is made one space. The charts must be vector
drawing (filled paths, one per bar), with no image anywhere; a programme named with Typst markup
must come out as its characters.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from snapshot import client_of, sql

HOSTILE = 'Ligue #read("/etc/passwd") *gras* _souligné_ [lien] $x^2$ @ref <etiq> \\ "q" // fin'


# `serving` and `client` are the session fixtures of conftest.py.


def _pdf(body: bytes) -> PdfReader:
    assert body.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(body))


def _text(reader: PdfReader) -> str:
    text = "\n".join(page.extract_text() for page in reader.pages)
    return _spaces(text)


def _spaces(text: str) -> str:
    # narrow no-break, no-break and line breaks inside a paragraph all read as one space
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


# ---- French numbers, written here by hand (not dashboard.i18n)

def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _grouped(whole: int) -> str:
    sign, digits = ("-" if whole < 0 else ""), str(abs(whole))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + " ".join(groups)


def _fr_count(value) -> str:
    return _grouped(int(_dec(value).quantize(Decimal(1), ROUND_HALF_EVEN)))


def _fr_money(value) -> str:
    amount = _dec(value)
    if abs(amount) >= 1_000_000:
        short = (amount / 1_000_000).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
        whole, _, tenth = str(abs(short)).partition(".")
        return ("-" if short < 0 else "") + f"{_grouped(int(whole))},{tenth} M€"
    if abs(amount) >= 1_000:
        return f"{_fr_count(amount / 1000)} k€"
    return f"{_fr_count(amount)} €"


def _fr_percent(share: Decimal, signed: bool = False) -> str:
    whole = int((share * 100).quantize(Decimal(1), ROUND_HALF_EVEN))
    return (f"+{whole}" if signed and whole >= 0 else str(whole)) + " %"


def _kpis(serving: Path, year: int) -> dict[str, tuple]:
    rows = sql(serving, "select indicator, value, previous_value, target from kpis where year = $y", {"y": year})
    return {indicator: (value, previous, target) for indicator, value, previous, target in rows}


def _paid_tracked(serving: Path, year: int) -> bool:
    committed, tracked, paid = sql(
        serving, "select coalesce(sum(committed_eur), 0), coalesce(sum(committed_eur) filter (where payments_tracked), 0), "
                 "coalesce(sum(disbursed_eur), 0) from funding_reconciliation where year = $y", {"y": year})[0]
    return not (committed and abs(tracked) < Decimal("0.005") and abs(paid) < Decimal("0.005"))


def _row(label: str, kpi: tuple, fmt) -> str:
    """'Emplois 1 300 1 300 (100 %) 1 269 +2 %' as the brief's table reads back."""
    value, previous, target = kpi
    cells = [label, fmt(value)]
    cells.append(f"{fmt(target)} ({_fr_percent(_dec(value) / _dec(target))})" if target else "–")
    cells.append(fmt(previous) if previous is not None else "–")
    cells.append(_fr_percent(_dec(value) / _dec(previous) - 1, signed=True) if previous else "–")
    return " ".join(cells)


# ---- the brief

def test_french_brief_shows_the_snapshots_kpis_on_at_most_two_pages(client, serving):
    from dashboard.i18n import t

    started = time.perf_counter()
    response = client.get("/brief")
    elapsed = time.perf_counter() - started
    print(f"\nbrief built in {elapsed:.2f} s (French, sample, first request)")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    year = sql(serving, "select max(year) from kpis where value is not null")[0][0]
    assert response.headers["Content-Disposition"] == f'inline; filename="note-au-conseil-{year}.pdf"'
    reader = _pdf(response.data)
    assert 1 <= len(reader.pages) <= 2
    text = _text(reader)
    kpis = _kpis(serving, year)
    assert f"{year}" in text
    for indicator, fmt in (("committed_eur", _fr_money), ("jobs_headcount", _fr_count), ("events", _fr_count)):
        assert _row(t(indicator, "fr"), kpis[indicator], fmt) in text, indicator
    paid = t("disbursed_eur", "fr") + " " + (_fr_money(kpis["disbursed_eur"][0]) if _paid_tracked(serving, year)
                                              else "non suivi")
    assert paid in text
    # the sample is said to be the sample, and the data's date and source are there
    assert sql(serving, "select is_sample from manifest limit 1")[0][0]
    assert _spaces("Données d'exemple générées") in text
    assert "Sources :" in text and "Instantané du" in text
    assert sql(serving, "select snapshot_version from manifest limit 1")[0][0] in text
    # the dashboard's address in the footer (the request's own root here: no SOLIDARITY_PUBLIC_URL)
    assert "Tableau de bord : http://localhost/" in text


def test_reconciliation_line_adds_up_to_the_snapshot(client, serving):
    year = sql(serving, "select max(year) from kpis where value is not null")[0][0]
    text = _text(_pdf(client.get("/brief").data))
    committed, grants, cofinancing = sql(
        serving, "select sum(committed_eur), sum(committed_eur) filter (where origin = 'grant'), "
                 "sum(committed_eur) filter (where origin = 'cofinancing') from funding_reconciliation "
                 "where year = $y", {"y": year})[0]
    assert _dec(committed) == _dec(grants) + _dec(cofinancing)
    assert (f"{_fr_money(committed)} engagés = {_fr_money(grants)} de subventions + "
            f"{_fr_money(cofinancing)} de cofinancements IATI") in text


def test_english_brief_follows_the_url_filters(client, serving):
    years = sql(serving, "select distinct year from funding order by year")
    last = years[-2][0]  # a range that does not end on the latest year: the brief is of its last year
    response = client.get(f"/brief?lang=en&years={last - 2}-{last}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'inline; filename="council-brief-{last}.pdf"'
    reader = _pdf(response.data)
    assert len(reader.pages) <= 2
    text = _text(reader)
    value = _kpis(serving, last)["events"][0]
    assert f"Events {int(_dec(value)):,}" in text  # English: a comma between thousands
    assert f"{last - 4}–{last}" in text  # the charts: the brief's year and the four before it
    assert "Generated sample data" in text


def test_charts_are_vector_bars_and_there_is_no_image(client, serving):
    year = sql(serving, "select max(year) from kpis where value is not null")[0][0]
    reader = _pdf(client.get("/brief").data)
    fills = 0
    for page in reader.pages:
        resources = page["/Resources"]
        for name, xobject in (resources.get("/XObject") or {}).items():
            assert xobject.get_object().get("/Subtype") != "/Image", name
        fills += sum(1 for _, op in ContentStream(page.get_contents(), reader).operations if op == b"f")
    bars = sql(serving, "select count(*) from (select programme, year from funding where year between $a and $b "
                         "group by all having sum(committed_eur) > 0)", {"a": year - 4, "b": year})[0][0]
    assert bars > 0
    assert fills >= bars  # each bar with money is a filled path
    text = _text(reader)
    for (programme,) in sql(serving, "select distinct programme from funding where year between $a and $b",
                             {"a": year - 4, "b": year}):
        assert _spaces(programme) in text


def test_the_brief_is_built_once_per_snapshot_and_filters(client):
    first = client.get("/brief?years=2024").data
    assert client.get("/brief?years=2024&unknown=1").data == first  # unknown values never make a new file
    assert client.get("/brief?years=2023").data != first


def test_a_programme_named_with_typst_markup_comes_out_as_text(serving, tmp_path):
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        (victim,) = conn.execute("select programme from funding where programme is not null "
                                 "group by programme order by sum(committed_eur) desc limit 1").fetchone()
        for table in ("funding", "funding_reconciliation", "funding_by_programme"):
            conn.execute(f"update {table} set programme = $new where programme = $old", {"new": HOSTILE, "old": victim})
    response = client_of(copy).get("/brief?programme=" + quote(HOSTILE))
    assert response.status_code == 200
    text = _text(_pdf(response.data))
    assert f"Programme : {_spaces(HOSTILE)}" in text  # the filter, said
    assert text.count(_spaces(HOSTILE)) >= 2  # and the chart's title


@pytest.mark.parametrize("value", [HOSTILE, "a\nb", "tab\there", 'fin \\', '"', "#", "x\u2028y", "ctrl\x07"])
def test_typst_string_is_set_as_the_characters_themselves(value):
    import typst

    from dashboard.brief import markup

    source = f"{markup(value)}.len() suite\n"  # '.len()' after the literal is text, not a method call
    body = typst.compile(source.encode(), ignore_system_fonts=True, font_paths=[])
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    # what a reader sees: spaces and line breaks as spaces, a control character as nothing
    visible = "".join(c if c.isprintable() else (" " if c.isspace() else "") for c in value)
    assert _spaces(visible).strip() in _spaces(text)
    assert _spaces(text).strip().endswith(".len() suite")


def test_typst_string_escapes_only_what_ends_or_bends_a_literal_on_one_line():
    from dashboard.brief import typst_string

    assert typst_string('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert typst_string("l1\nl2\tl3\x07\u2028") == '"l1 l2 l3 "'  # one line, no control character
    assert typst_string("#*[$@]") == '"#*[$@]"'  # inside a string literal markup characters are plain
    assert typst_string("1\u202f300\u00a0€") == '"1\u202f300\u00a0€"'  # French spaces stay no-break


def test_every_page_links_to_the_brief_with_its_filters(client):
    from dashboard.i18n import t

    body = {"output": "..brief-link.children...brief-link.href...brief-link.title..",
            "outputs": [{"id": "brief-link", "property": p} for p in ("children", "href", "title")],
            "inputs": [{"id": "url", "property": "search", "value": "?years=2024&lang=en&x=1"}],
            "changedPropIds": ["url.search"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    out = response.get_json()["response"]["brief-link"]
    assert out["children"] == t("brief.link", "en") == "Print / PDF"
    assert out["href"] == "/brief?years=2024&lang=en"
    body["inputs"][0]["value"] = ""
    out = client.post("/_dash-update-component", json=body).get_json()["response"]["brief-link"]
    assert (out["children"], out["href"]) == ("Imprimer / PDF", "/brief")
    # the link is in the shell every page is drawn in, and the brief it points at answers
    assert '"id": "brief-link"' in client.get("/_dash-layout").get_data(as_text=True).replace('":"', '": "')
    assert client.get(out["href"]).status_code == 200


def test_the_brief_carries_the_security_headers_and_drops_hostile_filters(client):
    plain = client.get("/brief")
    for url in ("/brief.pdf", "/brief?programme=%3Cscript%3E&country=..%2F..%2Fetc&years=abc"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.data == plain.data, url  # values outside the allowlists are dropped: the plain brief
