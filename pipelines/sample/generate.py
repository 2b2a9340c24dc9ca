"""Write the deterministic, realistic sample raw files (`solidarity sample`).

Layout (docs/data-contracts.md, "Sample raw formats"):
    grants/subventions_{year}.csv     SCDL 2.1.1, `;`, UTF-8, decimal comma
                                      (2017: cp1252, `,`, dot decimals, as real files vary)
    iati/region-activities.xml        IATI 2.03, one activity per grant with a project abroad,
                                      plus ~7% co-funded activities that no grant links to
    organisations/organisations.csv   the regional directory
    jobs/emplois.csv                  jobs per organisation and year
    events/evenements_{year}.csv      campaign events
    events/agenda_{year}.ics          iCalendar agenda (30% of the CSV events, same UID, plus a few only there)
    payments/mandats_{year}.csv       the region's payment orders paid that year (exercice): UTF-8, `;`,
                                      CRLF, decimal comma; numero_mandat;date_paiement;montant;
                                      reference_decision;siret_beneficiaire;reference_subvention.
                                      A grant with an IATI project is paid its disbursements exactly;
                                      one without, tranches by the same rule. "Éducation à la
                                      citoyenneté mondiale" is paid through another budget: no payment
                                      at all, so its payments are "non suivi" (not tracked), never 0 €.

Same seed and scale give byte-identical files: every draw comes from a
`random.Random` seeded with a string naming the seed, the file and the year, and
no content depends on the clock (DTSTAMP and generated-datetime are fixed).

Deliberate flaws, written once whatever the scale (replica 0 only), for the readers' tests:
    grants/subventions_2016.csv   1 row: idBeneficiaire written with spaces ("123 456 789 00012")
    grants/subventions_2018.csv   1 row: idBeneficiaire fails the Luhn check (last digit changed)
    grants/subventions_2019.csv   1 row: dateConvention written DD/MM/YYYY
    grants/subventions_2021.csv   1 row: pourcentageSubvention written 0-100 ("45")
    grants/subventions_2022.csv   1 row: negative montant
    grants/subventions_2023.csv   1 row: montant as text ("quinze mille euros")
    jobs/emplois.csv              1 row (year 2020): negative etp
    events/evenements_2018.csv    1 row: fin before debut
    events/evenements_2024.csv    1 row: code_commune unknown to INSEE ("38999")
    events/evenements_2023.csv    1 row written twice (exact duplicate line)
    events/agenda_{year}.ics      ~4% of the agenda-only events have an unresolvable LOCATION
                                  ("En ligne", ...), by design rather than by mistake
    payments/mandats_{year}.csv   (pipelines/sample/payments.py; drawn among grants without an IATI
                                  project, so project grants stay paid exactly as IATI says)
                                  ~3% of the paid programmes' grants never paid (no order at all);
                                  1 order with a decision reference no grant has (CP-2024-99999),
                                  to an existing organisation's SIRET: unmatched;
                                  1 order with only a SIRET whose organisation has one grant
                                  (matched by beneficiary), 1 with only a SIRET whose organisation
                                  has several (ambiguous: unmatched);
                                  1 order with no reference but reference_subvention set to the grant
                                  key `subventions_{year}.csv:{line}` (the analyst's manual link);
                                  1 order paid twice by mistake (same amount, new numero_mandat, days
                                  later), then that second order reversed (negative amount);
                                  mandats_2024.csv repeats the last December 2023 order (same
                                  numero_mandat and content: exports overlap);
                                  mandats_2022.csv 1 row: date_paiement written "31/12/2022";
                                  (and, as for IATI disbursements, ~10% of grants have their last
                                  tranche cut, so they are paid less than granted).
                                  The grant rows broken on purpose (GRANT_FLAWS above) are paid as
                                  they would be: a row the reader rejects leaves its orders unmatched.
Natural persons (youth grants, "Jeunesse solidaire") appear in grants with no idBeneficiaire;
they are never named in the IATI file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pipelines.settings import SAMPLE_MARKER
from pipelines.sources.registry import SOURCES

from pipelines.sample import vocab
from pipelines.sample.events import EventFactory, calendar_head_and_tail, csv_row, vevent
from pipelines.sample.grants import Grant, GrantFactory, programme_counts, session_dates
from pipelines.sample.iati_xml import activities_writer
from pipelines.sample.orgs import build_organisations, jobs_rows
from pipelines.sample.payments import FIELDS as PAYMENT_FIELDS
from pipelines.sample.payments import SourcedGrant, payment_files

SCDL_FIELDS = (
    "nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
    "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
    "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide",
)
CP1252_YEAR = 2017
ORGANISATION_FIELDS = (
    "siret", "nom", "categorie_juridique", "code_naf", "code_commune", "code_postal", "type_structure",
)
JOB_FIELDS = ("siret", "annee", "effectif", "etp", "benevoles")
EVENT_FIELDS = (
    "id", "titre", "debut", "fin", "code_commune", "siret_organisateur", "nom_organisateur",
    "type_evenement", "public", "public_jeune",
)
COFUNDED_SHARE = 0.07  # of linked activities, per year

# (year, grant index in that year's file) -> flaw; indexes fall on organisation grants.
GRANT_FLAWS = {2016: "siret_spaces", 2018: "siret_bad_luhn", 2019: "date_dmy",
               2021: "percentage_0_100", 2022: "negative_amount", 2023: "text_amount"}


def write_sample(
    out_dir: Path,
    scale: int = 1,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the sample raw files under `out_dir`; return rows written per file kind."""
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    for sub in ("grants", "iati", "organisations", "jobs", "events", "payments"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    (out_dir / SAMPLE_MARKER).write_text(
        "Generated sample data (solidarity sample, seed %d, scale %d): invented figures, not official ones.\n"
        % (seed, scale),
        encoding="utf-8",
    )
    counts = dict.fromkeys(
        ("grants", "iati_activities", "organisations", "jobs", "events_csv", "events_ics", "payments"), 0,
    )

    used_sirens: set[str] = set()
    orgs = [build_organisations(seed, r, used_sirens) for r in range(scale)]
    counts["organisations"] = _write_organisations(out_dir / "organisations" / "organisations.csv", orgs)
    say(f"organisations: {counts['organisations']} rows")
    counts["jobs"] = _write_jobs(out_dir / "jobs" / "emplois.csv", seed, orgs)
    say(f"jobs: {counts['jobs']} rows")

    factories = [GrantFactory(seed, r, orgs[r]) for r in range(scale)]
    sourced: list[SourcedGrant] = []  # every grant with its file and line, for the payments
    with activities_writer(out_dir / "iati" / "region-activities.xml") as write_activity:
        for year in vocab.YEARS:
            n_by_programme = programme_counts(seed, year)
            sessions = session_dates(seed, year)
            serial = iter(range(1, 10**9))
            next_ref = lambda: f"CP-{year}-{next(serial):05d}"  # noqa: E731 - unique per year
            path = out_dir / "grants" / f"subventions_{year}.csv"
            cp1252 = year == CP1252_YEAR
            with path.open("w", encoding="cp1252" if cp1252 else "utf-8", newline="") as fh:
                writer = csv.writer(fh, delimiter="," if cp1252 else ";", lineterminator="\r\n")
                writer.writerow(SCDL_FIELDS)
                line = 1  # the header; one physical line per row (no field holds a line break)
                for replica, factory in enumerate(factories):
                    grants = factory.grants(year, n_by_programme, sessions, next_ref)
                    if replica == 0 and year in GRANT_FLAWS:
                        _apply_grant_flaw(grants, GRANT_FLAWS[year], cp1252)
                    linked = 0
                    for grant in grants:
                        writer.writerow(_scdl_row(grant, cp1252))
                        line += 1
                        sourced.append(SourcedGrant(f"{path.name}:{line}", replica, grant))
                        if grant.project is not None:
                            write_activity(grant.project)
                            linked += 1
                    n_cofunded = max(1, round(linked * COFUNDED_SHARE))
                    for project in factory.cofunded_projects(year, n_cofunded, sessions, next_ref):
                        write_activity(project)
                        linked += 1
                    counts["grants"] += len(grants)
                    counts["iati_activities"] += linked
            say(f"grants and IATI activities {year}: {counts['grants']} grants so far")

    for year, rows in payment_files(seed, sourced).items():
        counts["payments"] += _write_payments(out_dir / "payments" / f"mandats_{year}.csv", rows)
    say(f"payments: {counts['payments']} payment orders")

    event_factories = [EventFactory(seed, r, orgs[r]) for r in range(scale)]
    for year in vocab.YEARS:
        csv_n, ics_n = _write_events_year(out_dir / "events", year, event_factories)
        counts["events_csv"] += csv_n
        counts["events_ics"] += ics_n
        say(f"events {year}: {csv_n} CSV rows, {ics_n} agenda events")

    # a source added since (docs/adding-a-source.md) writes its own sample beside its reader
    for source in SOURCES:
        writer = source.load_sample()
        if writer is not None:
            (out_dir / source.name).mkdir(parents=True, exist_ok=True)
            counts[source.name] = writer(out_dir / source.name, seed)
            say(f"{source.name}: {counts[source.name]} rows")
    return counts


def _write_organisations(path: Path, orgs_by_replica) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(ORGANISATION_FIELDS)
        for orgs in orgs_by_replica:
            for o in orgs:
                writer.writerow((o.siret, o.name, o.legal_category, o.naf, o.commune_code, o.postcode, o.org_type))
                n += 1
    return n


def _write_jobs(path: Path, seed: int, orgs_by_replica) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(JOB_FIELDS)
        for replica, orgs in enumerate(orgs_by_replica):
            flaw_done = replica != 0
            for siret, year, headcount, fte, volunteers in jobs_rows(seed, replica, orgs):
                if not flaw_done and year == 2020 and headcount > 0:
                    fte, flaw_done = -fte, True  # flaw: negative FTE
                writer.writerow((siret, year, headcount, f"{fte:.1f}", volunteers))
                n += 1
    return n


def _write_payments(path: Path, rows: list[list[str]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(PAYMENT_FIELDS)
        writer.writerows(rows)
    return len(rows)


def _decimal(value: float, cp1252: bool) -> str:
    text = f"{value:.2f}"
    return text if cp1252 else text.replace(".", ",")


def _scdl_row(g: Grant, cp1252: bool) -> list[str]:
    period = g.payment_start.isoformat()
    if g.payment_end:
        period += "/" + g.payment_end.isoformat()
    row = {
        "nomAttribuant": vocab.REGION_NAME,
        "idAttribuant": vocab.REGION_SIRET,
        "dateConvention": g.date_convention.isoformat(),
        "referenceDecision": g.reference,
        "nomBeneficiaire": g.beneficiary_name,
        "idBeneficiaire": g.beneficiary_siret,
        "rnaBeneficiaire": g.rna,
        "objet": g.objet,
        "montant": _decimal(g.montant, cp1252),
        "nature": "aide en numéraire",
        "conditionsVersement": g.conditions,
        "datesPeriodeVersement": period,
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": _decimal(g.pourcentage, cp1252),
        "dispositifAide": g.programme,
    }
    row.update(g.raw_overrides)
    return [row[f] for f in SCDL_FIELDS]


def _apply_grant_flaw(grants: list[Grant], flaw: str, cp1252: bool) -> None:
    # The 7th grant with an organisation beneficiary: deterministic and never a natural person.
    target = [g for g in grants if g.beneficiary_siret][6]
    siret = target.beneficiary_siret
    if flaw == "siret_spaces":
        target.raw_overrides["idBeneficiaire"] = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    elif flaw == "siret_bad_luhn":
        target.raw_overrides["idBeneficiaire"] = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    elif flaw == "date_dmy":
        target.raw_overrides["dateConvention"] = target.date_convention.strftime("%d/%m/%Y")
    elif flaw == "percentage_0_100":
        target.raw_overrides["pourcentageSubvention"] = str(round(target.pourcentage * 100))
    elif flaw == "negative_amount":
        target.raw_overrides["montant"] = _decimal(-target.montant, cp1252)
    elif flaw == "text_amount":
        target.raw_overrides["montant"] = "quinze mille euros"


def _write_events_year(folder: Path, year: int, factories: list[EventFactory]) -> tuple[int, int]:
    head, tail = calendar_head_and_tail(year)
    csv_n = ics_n = 0
    next_id, next_agenda = 1, 1
    with (folder / f"evenements_{year}.csv").open("w", encoding="utf-8", newline="") as fh, \
            (folder / f"agenda_{year}.ics").open("wb") as ics:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(EVENT_FIELDS)
        ics.write(head)
        for replica, factory in enumerate(factories):
            events = factory.events(year, next_id, next_agenda)
            in_csv = [e for e in events if e.in_csv]
            next_id += len(in_csv)
            next_agenda += len(events) - len(in_csv)
            flawed = in_csv[len(in_csv) // 2] if replica == 0 else None
            for event in events:
                if event.in_agenda:
                    ics.write(vevent(event))
                    ics_n += 1
                if not event.in_csv:
                    continue
                row = csv_row(event)
                if event is flawed and year == 2018:  # flaw: end before start
                    row[3] = (event.start - timedelta(hours=2)).isoformat(timespec="seconds")
                if event is flawed and year == 2024:  # flaw: unknown commune code
                    row[4] = "38999"
                writer.writerow(row)
                csv_n += 1
                if event is flawed and year == 2023:  # flaw: duplicated row
                    writer.writerow(row)
                    csv_n += 1
        ics.write(tail)
    return csv_n, ics_n

