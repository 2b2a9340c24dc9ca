"""The hostile-input corpus, generated: every case is a function returning bytes.

No hand-made files: each case writes a small file in the real format of its source
with good rows mixed in, plus the one hostile thing it is about, and says what the
reader must do with it:

- `refused`: the whole file is refused with a SourceError whose message names the
  file and the place (`where`, e.g. "1", "line 7", "1:montant");
- otherwise `errors` (source_row -> field) must be rejected rows, each with an
  error Problem naming that file, row and field; `warnings` (source_row -> field)
  are accepted but flagged; `accepted` is how many rows must reach the table.

Expected figures are written by hand from the case's own construction, never
taken from the reader. Line numbers are physical lines (header = 1); IATI rows
are activity XPaths.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total


def siret(n: int) -> str:
    """A valid SIRET (Luhn key), distinct for each n."""
    body = f"{780000000 + n:09d}{(n % 900) + 10:04d}"
    for last in "0123456789":
        if _luhn_sum(body + last) % 10 == 0:
            return body + last
    raise AssertionError("unreachable")


def bad_siret(n: int) -> str:
    """14 digits whose Luhn key is wrong."""
    good = siret(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


ATTRIBUANT = siret(999)

# ---------------------------------------------------------------------------
# Case
# ---------------------------------------------------------------------------

MAIN_TABLE = {"grants": "grants", "iati": "activities", "organisations": "organisations",
              "jobs": "jobs", "events": "events"}


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # grants | iati | organisations | jobs | events
    filename: str
    build: Callable[[], bytes]
    refused: bool = False
    where: str | None = None  # with refused: where the message must point
    read: int | None = None  # rows read (None: not asserted, e.g. refused)
    accepted: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # source_row -> field (row rejected)
    warnings: dict[str, str] = field(default_factory=dict)  # source_row -> field (row kept)
    # column -> values that must be in the main table (decoded text read right)
    values: dict[str, list[object]] = field(default_factory=dict)
    # substrings that must never appear in anything the reader returns (XXE)
    never: tuple[str, ...] = ()


CASES: list[Case] = []


def case(**kwargs) -> None:
    CASES.append(Case(**kwargs))


# ---------------------------------------------------------------------------
# Grants (SCDL subventions)
# ---------------------------------------------------------------------------

SCDL_HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
               "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
               "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide"]
NAMES = ["Électriciens sans frontières", "Comité de jumelage Pélussin–Koudougou", "Ville d'Aubière",
         "Association Kassoumaï", "Œuvre solidaire du Forez", "Café solidaire Givors"]


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


def delimited(rows: list[list[str]], sep: str = ";", encoding: str = "utf-8", eol: str = "\n",
              quote_all: bool = False) -> bytes:
    def cell(v: str) -> str:
        if quote_all or any(ch in v for ch in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(sep.join(cell(v) for v in row) + eol for row in rows).encode(encoding)


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


# ---------------------------------------------------------------------------
# IATI activity XML
# ---------------------------------------------------------------------------

XPATH = "/iati-activities/iati-activity[{}]"


def activity(i: int, *, identifier: str | None = None, country: str = "BF", sectors: str | None = None,
             value: str = "10000.00", tx_date: str = "2024-03-01", tx_type: str = "2", extra: str = "") -> str:
    ident = f"FR-SIRET-{ATTRIBUANT}-CP-2024-{i:05d}" if identifier is None else identifier
    sectors = sectors if sectors is not None else '<sector vocabulary="1" code="14030" percentage="100"/>'
    return f"""<iati-activity default-currency="EUR" xml:lang="fr">
  <iati-identifier>{escape(ident)}</iati-identifier>
  <reporting-org ref="FR-SIRET-{ATTRIBUANT}" type="10"><narrative>Région Auvergne-Rhône-Alpes</narrative></reporting-org>
  <title><narrative>Projet {i} : accès à l'eau</narrative></title>
  <participating-org ref="FR-SIRET-{siret(i)}" role="4" type="22"><narrative>{escape(NAMES[i % len(NAMES)])}</narrative></participating-org>
  <activity-status code="2"/>
  <activity-date iso-date="2024-01-01" type="2"/>
  <recipient-country code="{country}" percentage="100"/>
  {sectors}
  <transaction><transaction-type code="{tx_type}"/><transaction-date iso-date="{tx_date}"/><value value-date="2024-03-01">{value}</value></transaction>
  {extra}
</iati-activity>
"""


def iati(*activities: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n', encoding: str = "utf-8") -> bytes:
    return (prolog + '<iati-activities version="2.03">\n' + "".join(activities) + "</iati-activities>\n").encode(encoding)


def iati_with(bad: str) -> bytes:
    """Good activities 1, 2 and 4 around the bad activity 3."""
    return iati(activity(1), activity(2), bad, activity(4))


def _line_of(data: bytes, needle: bytes, nth: int) -> int:
    """1-based line of the nth occurrence of needle: where a parser must point."""
    pos = -1
    for _ in range(nth):
        pos = data.index(needle, pos + 1)
    return data.count(b"\n", 0, pos) + 1


SECRET = "root:x:0:0"  # what /etc/passwd starts with: must never be read into anything


def _iati_cases() -> None:
    s = "iati"
    case(id="iati-xxe-external-entity", source=s, filename="xxe.xml",
         build=lambda: iati(activity(1, extra="<description><narrative>&xxe;</narrative></description>"),
                            prolog='<?xml version="1.0"?>\n<!DOCTYPE iati-activities [\n'
                                   '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
         refused=True, where="line 2", never=(SECRET,))
    case(id="iati-xxe-parameter-entity", source=s, filename="xxe2.xml",
         build=lambda: iati(activity(1), prolog='<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY % p SYSTEM '
                                                '"http://127.0.0.1:9/evil.dtd"> %p; ]>\n'),
         refused=True, where="line 2")
    case(id="iati-billion-laughs", source=s, filename="lol.xml",
         build=lambda: iati(activity(1, extra="<description><narrative>&lol9;</narrative></description>"),
                            prolog='<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
                            + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">\n'
                                      for k in range(1, 10)) + "]>\n"),
         refused=True, where="line 2")
    case(id="iati-doctype-behind-long-comment", source=s, filename="hidden.xml",
         build=lambda: iati(activity(1), prolog='<?xml version="1.0"?>\n<!--' + "x" * 100_000
                            + '-->\n<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'),
         refused=True, where="line", never=(SECRET,))
    case(id="iati-truncated", source=s, filename="cut.xml",
         build=lambda: iati(activity(1), activity(2), activity(3))[:-400], refused=True, where="line")
    case(id="iati-mismatched-tags", source=s, filename="mismatch.xml",
         build=lambda: iati(activity(1), activity(2).replace("</title>", "</titel>")), refused=True,
         where=f"line {_line_of(iati(activity(1), activity(2).replace('</title>', '</titel>')), b'</titel>', 1)}")
    case(id="iati-not-xml", source=s, filename="binary.xml", build=lambda: bytes(range(256)) * 40,
         refused=True, where="line")
    case(id="iati-empty-file", source=s, filename="empty.xml", build=lambda: b"", refused=True, where="line")
    case(id="iati-wrong-root", source=s, filename="org.xml",
         build=lambda: b'<?xml version="1.0"?>\n<iati-organisations version="2.03"><iati-organisation/></iati-organisations>\n'
         + b"", refused=True, where="line")
    case(id="iati-too-deep", source=s, filename="deep.xml",
         build=lambda: iati(activity(1, extra="<x>" * 300 + "</x>" * 300)), refused=True, where="line")
    case(id="iati-declared-utf8-but-cp1252", source=s, filename="cp1252.xml",
         build=lambda: iati(activity(1), activity(2)).replace("Région".encode(), "Région".encode("cp1252"), 1),
         refused=True, where=f"line {_line_of(iati(activity(1)), 'Région'.encode(), 1)}")
    case(id="iati-declared-windows-1252", source=s, filename="win.xml",
         build=lambda: iati(activity(1), activity(2, value="1,000"),
                            prolog='<?xml version="1.0" encoding="windows-1252"?>\n', encoding="cp1252"),
         read=2, accepted=1, errors={XPATH.format(2): "transaction[1]/value"},
         values={"reporting_org_name": ["Région Auvergne-Rhône-Alpes"]})
    case(id="iati-amount-as-text", source=s, filename="textvalue.xml",
         build=lambda: iati_with(activity(3, value="dix mille")),
         read=4, accepted=3, errors={XPATH.format(3): "transaction[1]/value"})
    case(id="iati-absurd-amount", source=s, filename="absurd.xml",
         build=lambda: iati_with(activity(3, value="9" * 400)),
         read=4, accepted=3, errors={XPATH.format(3): "transaction[1]/value"})
    case(id="iati-bad-date", source=s, filename="baddate.xml",
         build=lambda: iati_with(activity(3, tx_date="2024-02-31")),
         read=4, accepted=3, errors={XPATH.format(3): "transaction[1]/transaction-date/@iso-date"})
    case(id="iati-unknown-transaction-type", source=s, filename="txtype.xml",
         build=lambda: iati_with(activity(3, tx_type="99")),
         read=4, accepted=3, errors={XPATH.format(3): "transaction[1]/transaction-type/@code"})
    case(id="iati-missing-identifier", source=s, filename="noid.xml",
         build=lambda: iati_with(activity(3, identifier="")),
         read=4, accepted=3, errors={XPATH.format(3): "iati-identifier"})
    case(id="iati-percentages-not-100", source=s, filename="pct.xml",
         build=lambda: iati_with(activity(3, sectors='<sector vocabulary="1" code="14030" percentage="60"/>'
                                                    '<sector vocabulary="1" code="12220" percentage="60"/>')),
         read=4, accepted=4, warnings={XPATH.format(3): "sector/@percentage"})
    case(id="iati-unknown-country-code", source=s, filename="country.xml",
         build=lambda: iati_with(activity(3, country="ZZ")),
         read=4, accepted=4)  # accepted; money 'unallocated' + warning in staging (tests/test_unknown_codes.py)
    case(id="iati-unknown-sector-code", source=s, filename="sector.xml",
         build=lambda: iati_with(activity(3, sectors='<sector vocabulary="1" code="99999" percentage="100"/>')),
         read=4, accepted=4)  # accepted; money 'unallocated' + warning in staging (tests/test_unknown_codes.py)
    case(id="iati-duplicate-activity", source=s, filename="dup.xml",
         build=lambda: iati(activity(1), activity(2), activity(2), activity(3, value="x")),
         read=4, accepted=3, errors={XPATH.format(4): "transaction[1]/value"})


# ---------------------------------------------------------------------------
# Organisations, jobs, events CSV and iCalendar
# ---------------------------------------------------------------------------

ORG_HEADER = ["siret", "nom", "categorie_juridique", "code_naf", "code_commune", "code_postal", "type_structure"]
JOB_HEADER = ["siret", "annee", "effectif", "etp", "benevoles"]
EVENT_HEADER = ["id", "titre", "debut", "fin", "code_commune", "siret_organisateur", "nom_organisateur",
                "type_evenement", "public", "public_jeune"]


def org(i: int, **over: str) -> list[str]:
    cells = {"siret": siret(i), "nom": NAMES[i % len(NAMES)], "categorie_juridique": "9220", "code_naf": "94.99Z",
             "code_commune": "69123", "code_postal": "69001", "type_structure": "ong"}
    cells.update(over)
    return [cells[c] for c in ORG_HEADER]


def job(i: int, **over: str) -> list[str]:
    cells = {"siret": siret(i), "annee": "2024", "effectif": "4", "etp": "3.5", "benevoles": "12"}
    cells.update(over)
    return [cells[c] for c in JOB_HEADER]


def event(i: int, **over: str) -> list[str]:
    cells = {"id": f"EVT-2024-{i:06d}", "titre": f"Ciné-débat n°{i} : « Demain »", "debut": "2024-11-16T20:00:00",
             "fin": "2024-11-16T22:30:00", "code_commune": "69123", "siret_organisateur": siret(i),
             "nom_organisateur": NAMES[i % len(NAMES)], "type_evenement": "projection", "public": "80",
             "public_jeune": "20"}
    cells.update(over)
    return [cells[c] for c in EVENT_HEADER]


def table(header: list[str], *rows: list[str], sep: str = ",", encoding: str = "utf-8") -> bytes:
    return delimited([header, *rows], sep, encoding)


def vevent(i: int, **over: str | None) -> str:
    props = {"UID": f"EVT-2024-{i:06d}", "DTSTAMP": "20240101T000000Z", "DTSTART": "20241116T200000",
             "DTEND": "20241116T223000", "SUMMARY": f"Marché équitable n°{i}", "LOCATION": "Halle, 69001 Lyon",
             "CATEGORIES": "Marché équitable", "ORGANIZER;CN=Artisans du Monde Lyon": "mailto:contact@example.org"}
    props.update(over)
    return "BEGIN:VEVENT\r\n" + "".join(f"{k}:{v}\r\n" for k, v in props.items() if v is not None) + "END:VEVENT\r\n"


def ics(*events: str, encoding: str = "utf-8", end: bool = True) -> bytes:
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile corpus//FR\r\n" + "".join(events)
            + ("END:VCALENDAR\r\n" if end else ""))
    return text.encode(encoding)


def _local_cases() -> None:
    o, j, e = "organisations", "jobs", "events"
    case(id="organisations-bad-siret-checksum", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(1, siret=bad_siret(1)), org(2), org(3)),
         read=4, accepted=3, errors={"3": "siret"})
    case(id="organisations-siret-with-spaces", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(1, siret=" ".join([siret(1)[:3], siret(1)[3:6], siret(1)[6:9],
                                                                        siret(1)[9:]])), org(2, siret="123")),
         read=3, accepted=2, errors={"4": "siret"}, warnings={"3": "siret"})
    case(id="organisations-unknown-commune-pattern", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(1, code_commune="6912"), org(2, type_structure="secte")),
         read=3, accepted=1, errors={"3": "code_commune", "4": "type_structure"})
    case(id="organisations-missing-required-column", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER[1:], *[r[1:] for r in (org(0), org(1))]), refused=True, where="1:siret")
    case(id="organisations-semicolon-cp1252", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(4), org(5, nom=""), sep=";", encoding="cp1252"),
         read=3, accepted=2, errors={"4": "nom"}, values={"name": ["Œuvre solidaire du Forez", "Électriciens sans frontières"]})
    case(id="organisations-duplicate-siret", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(1), org(1, nom="Autre nom")),
         read=3, accepted=2, errors={"4": "siret"})
    case(id="organisations-header-only", source=o, filename="orgs.csv", build=lambda: table(ORG_HEADER),
         read=0, accepted=0)
    case(id="organisations-empty", source=o, filename="orgs.csv", build=lambda: b"", refused=True, where="1")
    case(id="organisations-extra-and-missing-cells", source=o, filename="orgs.csv",
         build=lambda: table(ORG_HEADER, org(0), org(1) + ["en trop"], org(2)[:4], org(3)),
         read=4, accepted=2, errors={"3": "", "4": ""})
    case(id="jobs-negative-and-text", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0), job(1, effectif="-4"), job(2, etp="trois"), job(3)),
         read=4, accepted=2, errors={"3": "effectif", "4": "etp"})
    case(id="jobs-absurd-year", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0), job(1, annee="1850"), job(2, annee="20240"), job(3)),
         read=4, accepted=2, errors={"3": "annee", "4": "annee"})
    case(id="jobs-fte-above-headcount", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0), job(1, etp="40"), job(2, siret=bad_siret(2))),
         read=3, accepted=2, errors={"4": "siret"}, warnings={"3": "etp"})
    case(id="jobs-duplicate-key", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0), job(1), job(1, effectif="9")),
         read=3, accepted=2, errors={"4": "siret"})
    case(id="jobs-undecodable-bytes", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0)) + b"\x81\x8d\x8f\x90\x9d,2024,1,1,1\n", refused=True, where="1")
    case(id="jobs-absurd-number", source=j, filename="jobs.csv",
         build=lambda: table(JOB_HEADER, job(0), job(1, etp="1e400"), job(2, effectif="9" * 400)),
         read=3, accepted=1, errors={"3": "etp", "4": "effectif"})
    case(id="events-csv-bad-datetimes", source=e, filename="events.csv",
         build=lambda: table(EVENT_HEADER, event(0), event(1, debut="16/11/2024 20h"),
                             event(2, fin="2024-11-15T10:00:00"), event(3)),
         read=4, accepted=2, errors={"3": "debut", "4": "fin"})
    case(id="events-csv-unknown-commune", source=e, filename="events.csv",
         build=lambda: table(EVENT_HEADER, event(0), event(1, code_commune="99999"), event(2, code_commune="lyon")),
         read=3, accepted=2, errors={"4": "code_commune"}, warnings={"3": "code_commune"})
    case(id="events-csv-unknown-type-and-audience", source=e, filename="events.csv",
         build=lambda: table(EVENT_HEADER, event(0), event(1, type_evenement="rave"), event(2, public="-3"),
                             event(3, public_jeune="500"), event(4)),
         read=5, accepted=2, errors={"3": "type_evenement", "4": "public", "5": "public_jeune"})
    case(id="events-csv-quoted-newline-and-bad-siret", source=e, filename="events.csv",
         build=lambda: table(EVENT_HEADER, event(0, titre="Débat\nsur deux lignes"), event(1, siret_organisateur=bad_siret(1)),
                             event(2, titre="")),
         read=3, accepted=2, errors={"5": "titre"}, warnings={"4": "siret_organisateur"})
    case(id="events-ics-cp1252", source=e, filename="agenda.ics",
         build=lambda: ics(vevent(0), vevent(1), vevent(2, UID=None), encoding="cp1252"),
         read=3, accepted=2, errors={"24": "UID"}, warnings={"1": ""},
         values={"title": ["Marché équitable n°0"]})
    case(id="events-ics-undecodable", source=e, filename="agenda.ics",
         build=lambda: ics(vevent(0)) + b"\x81\x8d\x8f", refused=True, where="1")
    case(id="events-ics-not-icalendar", source=e, filename="agenda.ics",
         build=lambda: table(EVENT_HEADER, event(0)), refused=True, where="1")
    case(id="events-ics-bad-dtstart", source=e, filename="agenda.ics",
         build=lambda: ics(vevent(0), vevent(1, DTSTART="demain soir"), vevent(2)),
         read=3, accepted=2, errors={"14": "DTSTART"})
    case(id="events-ics-end-before-start-unknown-place", source=e, filename="agenda.ics",
         build=lambda: ics(vevent(0), vevent(1, DTEND="20241115T100000"), vevent(2, LOCATION="Nulle part, 00000 Atlantide")),
         read=3, accepted=2, errors={"14": "DTEND"}, warnings={"24": "LOCATION"})
    case(id="events-ics-truncated", source=e, filename="agenda.ics",
         build=lambda: ics(vevent(0), vevent(1), end=False)[:-30], refused=True, where="1")


_grant_cases()
_iati_cases()
_local_cases()

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
