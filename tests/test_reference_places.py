"""Shipped reference data about places, checked against the public reference files: country names and
flags, départements, régions and communes, the map geometry; and every shipped file documented in SOURCES.md.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import polars as pl
import pytest

from pipelines import reference as ref
from reference_files import CODELISTS, PROJECT, SHARED


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
