"""The hostile-input corpus, organisations, jobs and events (CSV and iCalendar): each case a small file
with good rows mixed in plus the one hostile thing it is about (tests/hostile/corpus.py says what a
case asserts).
"""

from __future__ import annotations
from .corpus_cases import NAMES, bad_siret, case, delimited, siret


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
