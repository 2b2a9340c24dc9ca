"""The hostile-input corpus, IATI activity XML: each case a small activity file with good activities
mixed in plus the one hostile thing it is about (tests/hostile/corpus.py says what a case asserts);
IATI rows are activity XPaths.
"""

from __future__ import annotations

from xml.sax.saxutils import escape
from .corpus_cases import ATTRIBUANT, NAMES, case, iati, siret


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
