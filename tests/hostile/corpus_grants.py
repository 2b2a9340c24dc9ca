"""The hostile-input corpus, grants (SCDL subventions): CSV in several encodings and separators, and
xlsx workbooks written here, each case a small file with good rows mixed in plus the one hostile thing
it is about (tests/hostile/corpus.py says what a case asserts).
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape
from .corpus_cases import ATTRIBUANT, NAMES, bad_siret, case, delimited, siret


# ---------------------------------------------------------------------------
# Grants (SCDL subventions)
# ---------------------------------------------------------------------------

SCDL_HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
               "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
               "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide"]


def grant(i: int, **over: str) -> list[str]:
    cells = {
        "nomAttribuant": "Région Auvergne-Rhône-Alpes", "idAttribuant": ATTRIBUANT,
        "dateConvention": f"2024-0{1 + i % 9}-1{i % 10}", "referenceDecision": f"HOSTILE-2024-{i:05d}",
        "nomBeneficiaire": NAMES[i % len(NAMES)], "idBeneficiaire": siret(i), "rnaBeneficiaire": "",
        "objet": f"Projet {i} : eau potable (Bénin)", "montant": f"{1000 * (i + 1)},00",
        "nature": "aide en numéraire", "conditionsVersement": "unique",
        "datesPeriodeVersement": "2024-05-01", "idRAE": "", "notificationUE": "non",
        "pourcentageSubvention": "0,5", "dispositifAide": "Coopération décentralisée",
    }
    cells.update(over)
    return [cells[c] for c in SCDL_HEADER]


def scdl(*rows: list[str], sep: str = ";", encoding: str = "utf-8", header: list[str] | None = None) -> bytes:
    return delimited([header or SCDL_HEADER, *rows], sep, encoding)


def good_grants(n: int = 3, start: int = 0) -> list[list[str]]:
    return [grant(start + i) for i in range(n)]


# Bad row at line 3 (after header + one good row), then two good rows: lines 2, 4, 5 good.
def scdl_with(bad: list[str], **kw) -> bytes:
    return scdl(grant(0), bad, grant(2), grant(3), **kw)


def _grant_cases() -> None:
    g = "grants"
    case(id="grants-cp1252-comma", source=g, filename="cp1252.csv",
         build=lambda: scdl(*good_grants(4), grant(9, montant="-5,00"), sep=",", encoding="cp1252"),
         read=5, accepted=5, warnings={"6": "montant"},  # a negative amount is a cancellation: kept
         values={"beneficiaire_nom": ["Électriciens sans frontières", "Association Kassoumaï"]})
    case(id="grants-utf8-bom", source=g, filename="bom.csv",
         build=lambda: b"\xef\xbb\xbf" + scdl(*good_grants(3), grant(9, montant="NC")),
         read=4, accepted=3, errors={"5": "montant"}, values={"attribuant_nom": ["Région Auvergne-Rhône-Alpes"]})
    case(id="grants-utf16-bom", source=g, filename="utf16.csv",
         build=lambda: scdl(*good_grants(3), grant(9, dateConvention="hier", datesPeriodeVersement=""),
                            encoding="utf-16"),
         read=4, accepted=3, errors={"5": "dateConvention"},
         values={"beneficiaire_nom": ["Comité de jumelage Pélussin–Koudougou"]})
    # UTF-8 file with one line written in Windows-1252 (two exports pasted together)
    case(id="grants-mixed-encoding", source=g, filename="mixed.csv",
         build=lambda: scdl(*good_grants(2)) + delimited([grant(4)], encoding="cp1252")
         + delimited([grant(5, montant="")]),
         read=4, accepted=3, errors={"5": "montant"}, warnings={"4": "_encoding"},
         values={"beneficiaire_nom": ["Électriciens sans frontières", "Œuvre solidaire du Forez"]})
    case(id="grants-tab-separator", source=g, filename="tab.csv",
         build=lambda: scdl(*good_grants(3), grant(9, montant="mille euros"), sep="\t"),
         read=4, accepted=3, errors={"5": "montant"})
    case(id="grants-pipe-separator", source=g, filename="pipe.csv",
         build=lambda: scdl(*good_grants(3), grant(9, nomBeneficiaire=""), sep="|"),
         read=4, accepted=4, warnings={"5": "nomBeneficiaire"})  # no name, a SIRET: a grant
    # header with ';' but one data line written with ',': one cell, nothing can be trusted
    case(id="grants-wrong-separator-row", source=g, filename="wrongsep.csv",
         build=lambda: scdl(*good_grants(2)) + delimited([grant(7)], sep=",") + delimited([grant(3)]),
         read=4, accepted=3, errors={"4": "montant"})
    case(id="grants-quoted-newlines", source=g, filename="newlines.csv",
         build=lambda: scdl(grant(0, objet="Ligne 1\nLigne 2\r\nLigne 3"), grant(1), grant(2, montant="x"), grant(3)),
         read=4, accepted=3, errors={"6": "montant"}, values={"objet": ["Ligne 1\nLigne 2\r\nLigne 3"]})
    case(id="grants-missing-blocking-column", source=g, filename="nomontant.csv",
         build=lambda: scdl(*[r[:8] + r[9:] for r in good_grants(3)],
                            header=SCDL_HEADER[:8] + SCDL_HEADER[9:]),
         refused=True, where="1")
    case(id="grants-missing-optional-column", source=g, filename="nonature.csv",
         build=lambda: scdl(*[r[:9] + r[10:] for r in good_grants(3)], grant(9, montant="")[:9] + grant(9)[10:],
                            header=SCDL_HEADER[:9] + SCDL_HEADER[10:]),
         read=4, accepted=3, errors={"5": "montant"}, warnings={"1": "nature"})
    case(id="grants-extra-cells", source=g, filename="extracells.csv",
         build=lambda: scdl_with(grant(1) + ["en trop", "encore"]),
         read=4, accepted=3, errors={"3": "_row"})
    case(id="grants-short-row", source=g, filename="short.csv",
         build=lambda: scdl_with(grant(1)[:12]),
         read=4, accepted=4, warnings={"3": "_row"})
    case(id="grants-extra-header-column", source=g, filename="extracol.csv",
         build=lambda: scdl(*[r + ["x"] for r in good_grants(3)], grant(9, montant="") + ["y"],
                            header=SCDL_HEADER + ["commentaire"]),
         read=4, accepted=3, errors={"5": "montant"})
    case(id="grants-empty-file", source=g, filename="empty.csv", build=lambda: b"", refused=True, where="1")
    case(id="grants-blank-lines-only", source=g, filename="blank.csv", build=lambda: b"\n \r\n\t\n",
         refused=True, where="1")
    case(id="grants-header-only", source=g, filename="header.csv", build=lambda: scdl(), read=0, accepted=0)
    case(id="grants-negative-amount", source=g, filename="negative.csv",
         build=lambda: scdl_with(grant(1, montant="-12 000,00")), read=4, accepted=4, warnings={"3": "montant"})
    case(id="grants-amount-as-text", source=g, filename="textamount.csv",
         build=lambda: scdl(grant(0), grant(1, montant="mille euros"), grant(2, montant="NC"), grant(3)),
         read=4, accepted=2, errors={"3": "montant", "4": "montant"})
    # 1e400 overflows a float: must not become an infinite amount
    case(id="grants-absurd-amount", source=g, filename="absurd.csv",
         build=lambda: scdl(grant(0), grant(1, montant="1e400"), grant(2, montant="9" * 400), grant(3)),
         read=4, accepted=2, errors={"3": "montant", "4": "montant"})
    case(id="grants-bad-dates", source=g, filename="baddates.csv",
         # no payment period either: no other year to fall back on
         build=lambda: scdl(grant(0), grant(1, dateConvention="2024-02-30", datesPeriodeVersement=""),
                            grant(2, dateConvention="31/13/2024", datesPeriodeVersement=""),
                            grant(3, dateConvention="demain", datesPeriodeVersement=""),
                            grant(4, dateConvention="", datesPeriodeVersement="")),
         read=5, accepted=1, errors={"3": "dateConvention", "4": "dateConvention", "5": "dateConvention",
                                     "6": "dateConvention"})
    case(id="grants-bad-siret-checksum", source=g, filename="badsiret.csv",
         build=lambda: scdl_with(grant(1, idBeneficiaire=bad_siret(1))),
         read=4, accepted=4, warnings={"3": "idBeneficiaire"})
    case(id="grants-percent-out-of-range", source=g, filename="percent.csv",
         build=lambda: scdl(grant(0), grant(1, pourcentageSubvention="55"), grant(2, pourcentageSubvention="250"),
                            grant(3, montant="")),
         read=4, accepted=3, errors={"5": "montant"},
         warnings={"3": "pourcentageSubvention", "4": "pourcentageSubvention"})
    case(id="grants-duplicate-rows", source=g, filename="duprows.csv",
         build=lambda: scdl(grant(0), grant(1), grant(1), grant(2, montant="--")),
         read=4, accepted=3, errors={"5": "montant"})
    case(id="grants-duplicate-header-column", source=g, filename="duphead.csv",
         build=lambda: scdl(*[r + [r[8]] for r in good_grants(2)], header=SCDL_HEADER + ["Montant"]),
         refused=True, where="1")
    # a NUL byte: Python's csv reads it as a character; the row is rejected, the others kept
    case(id="grants-nul-byte", source=g, filename="nul.csv",
         build=lambda: scdl(grant(0), grant(1)) + b"Region\x00;x\n" + delimited([grant(3)]),
         read=4, accepted=3, errors={"4": "montant"})
    # one cell of 2 MB: beyond csv's field limit, refused with its line, not read for minutes
    case(id="grants-huge-cell", source=g, filename="hugecell.csv",
         build=lambda: scdl(grant(0), grant(1, objet="x" * 2_000_000), grant(2)), refused=True, where="3")
    case(id="grants-unclosed-quote", source=g, filename="unclosed.csv",
         build=lambda: scdl(grant(0), grant(1)) + b'R\xc3\xa9gion;"jamais ferm\xc3\xa9e;1;2\n' + delimited([grant(3)]),
         read=3, accepted=2, errors={"4": "montant"})  # the quote swallows the rest, reported as line 4
    case(id="grants-title-rows-above-header", source=g, filename="titles.csv",
         build=lambda: b"Subventions 2024;;\n\n" + scdl(*good_grants(2), grant(9, montant="abc")),
         read=3, accepted=2, errors={"6": "montant"})
    case(id="grants-not-a-table", source=g, filename="prose.csv",
         build=lambda: "Ceci n'est pas un fichier de subventions.\nJuste du texte.\n".encode(),
         refused=True, where="1")
    case(id="grants-xlsx-mixed-rows", source=g, filename="mixed.xlsx",
         build=lambda: xlsx([SCDL_HEADER, grant(0), grant(1, montant="-1"), grant(2),
                             grant(3, dateConvention="x", datesPeriodeVersement="")]),
         read=4, accepted=3, errors={"5": "dateConvention"}, warnings={"3": "montant"})
    case(id="grants-xlsx-truncated", source=g, filename="cut.xlsx",
         build=lambda: xlsx([SCDL_HEADER, grant(0), grant(1)])[:300], refused=True, where="1")
    case(id="grants-zip-named-csv", source=g, filename="disguised.csv",
         build=lambda: _zip({"hello.txt": b"not a spreadsheet"}), refused=True, where="1")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def column_letters(i: int) -> str:
    """A spreadsheet column's letters from its 0-based index (0 → A, 26 → AA)."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def xlsx(rows: list[list[str]]) -> bytes:
    """A minimal valid .xlsx (one sheet, inline strings): enough for calamine."""
    sheet_rows = "".join(
        f'<row r="{r}">' + "".join(
            f'<c r="{column_letters(c)}{r}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
            for c, v in enumerate(cells) if v != ""
        ) + "</row>"
        for r, cells in enumerate(rows, start=1)
    )
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return _zip({
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>").encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="subventions" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>').encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{sheet_rows}</sheetData></worksheet>').encode(),
    })
