"""The IATI codelists shipped in `data/reference/` (the XML files, unchanged), read, and the
CSVs the loaders of `pipelines.reference` read written from them.

`load_iati_*_codelist(path)` reads any copy of the IATI Sector, SectorCategory or Region
codelist (a `SourceError` naming the file for anything else); `write_dac_sectors`,
`write_dac_categories` and `write_iati_regions` regenerate `dac_sectors.csv`,
`dac_categories.csv` and `iati_regions.csv` from the shipped XML (docs/reference-data.md
says how to take a newer codelist).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl

from pipelines.reference import (
    DAC_CATEGORIES_FILE, DAC_SECTORS_FILE, IATI_REGIONS_FILE, category_of_sector, reference_dir,
)
from pipelines.sources.common import SourceError

# the IATI files themselves (xml/Sector.xml, xml/SectorCategory.xml, xml/Region.xml),
# shipped beside their CSVs
DAC_SECTOR_CODELIST = "dac_sector_codelist.xml"
DAC_CATEGORY_CODELIST = "dac_category_codelist.xml"
IATI_REGION_CODELIST = "iati_region_codelist.xml"

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SECTOR_CODELIST_SCHEMA = {
    "code5": pl.String, "category3": pl.String, "name_fr": pl.String,
    "name_en": pl.String, "status": pl.String,
}
CATEGORY_CODELIST_SCHEMA = {"code3": pl.String, "name_fr": pl.String, "name_en": pl.String, "status": pl.String}


def _codelist_items(path: Path, name: str):
    """(code, {lang: name}, item) for each item of an IATI codelist XML named `name`;
    a SourceError naming the file for anything else."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise SourceError(path, "/", f"not a readable XML codelist: {exc}") from exc
    if root.tag != "codelist" or root.get("name") != name:
        raise SourceError(path, "/" + root.tag,
                          f"expected an IATI <codelist name=\"{name}\">, got <{root.tag} name={root.get('name')!r}>")
    for i, item in enumerate(root.iter("codelist-item"), start=1):
        code = (item.findtext("code") or "").strip()
        if not code:
            raise SourceError(path, f"/codelist/codelist-items/codelist-item[{i}]/code", f"empty {name} code")
        names = {n.get(_XML_LANG, "en"): (n.text or "").strip() for n in item.findall("name/narrative")}
        yield code, names, item


def load_iati_sector_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `Sector` codelist XML (the DAC 5-digit list, EN + FR): code5,
    category3, name_fr, name_en, status ('active' or 'withdrawn'). name_fr is null where
    the file has no French name; `write_dac_sectors` fills it."""
    path = Path(path)
    rows = [{
        "code5": code,
        "category3": (item.findtext("category") or "").strip() or category_of_sector(code),
        "name_fr": names.get("fr") or None,
        "name_en": names.get("en") or None,
        "status": item.get("status", "active"),
    } for code, names, item in _codelist_items(path, "Sector")]
    return pl.DataFrame(rows, schema=SECTOR_CODELIST_SCHEMA)


def load_iati_sector_category_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `SectorCategory` codelist XML (the DAC 3-digit list): code3, name_fr
    (null where the file has none), name_en, status."""
    rows = [{"code3": code, "name_fr": names.get("fr") or None, "name_en": names.get("en") or None,
             "status": item.get("status", "active")}
            for code, names, item in _codelist_items(Path(path), "SectorCategory")]
    return pl.DataFrame(rows, schema=CATEGORY_CODELIST_SCHEMA)


def _french_or_english(frame: pl.DataFrame) -> pl.DataFrame:
    # a French page shows a name, never a code: the codelist's English one where it has
    # no French (only withdrawn codes, counted in data/reference/SOURCES.md)
    return frame.with_columns(pl.coalesce("name_fr", "name_en").alias("name_fr"))


def write_dac_sectors(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `dac_sectors.csv` from the shipped `dac_sector_codelist.xml` (the IATI
    Sector codelist, unchanged; docs/reference-data.md says how to take a newer one)."""
    out = reference_dir(ref_dir) / DAC_SECTORS_FILE
    _french_or_english(load_iati_sector_codelist(reference_dir(ref_dir) / DAC_SECTOR_CODELIST)).write_csv(out)
    return out


def write_dac_categories(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `dac_categories.csv` from the shipped `dac_category_codelist.xml`."""
    out = reference_dir(ref_dir) / DAC_CATEGORIES_FILE
    _french_or_english(load_iati_sector_category_codelist(reference_dir(ref_dir) / DAC_CATEGORY_CODELIST)).write_csv(out)
    return out


REGION_CODELIST_SCHEMA = {"code": pl.String, "name_fr": pl.String, "name_en": pl.String, "status": pl.String}


def load_iati_region_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `Region` codelist XML (English narrative, French `xml:lang="fr"`):
    code, name_fr, name_en, status. Writes nothing: `write_iati_regions` does."""
    rows = [{"code": code, "name_fr": names.get("fr") or None, "name_en": names.get("en") or None,
             "status": item.get("status", "active")}
            for code, names, item in _codelist_items(Path(path), "Region")]
    return pl.DataFrame(rows, schema=REGION_CODELIST_SCHEMA)


def write_iati_regions(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `iati_regions.csv` from the shipped `iati_region_codelist.xml`
    (docs/reference-data.md says how to take a newer codelist)."""
    out = reference_dir(ref_dir) / IATI_REGIONS_FILE
    load_iati_region_codelist(reference_dir(ref_dir) / IATI_REGION_CODELIST).write_csv(out)
    return out
