"""The region as a publisher: the 23,000 € rule and the grants <-> projects reconciliation.

Figures are recomputed here from the raw files (csv, ElementTree; the sample readers of
tests/raw_model.py) and compared with the marts; the linking rules are tried on a small
raw folder built for each rule (docs/money-rules.md, "Linking a grant to its IATI activity").
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.run import materialize_all
from raw_model import read_activities, read_grants, read_organisations, read_text

THRESHOLD = Decimal(23000)
# the fields décret 2017-779 requires, as the SCDL 2.1.1 schema marks them required
REQUIRED = ("nomAttribuant", "idAttribuant", "dateConvention", "nomBeneficiaire", "objet", "montant", "nature",
            "conditionsVersement", "datesPeriodeVersement", "notificationUE", "pourcentageSubvention")


def _rows(raw: Path):
    for path in sorted((raw / "grants").glob("*.csv")):
        lines = read_text(path).splitlines()
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
        yield from csv.DictReader(lines, delimiter=delimiter)


def _amount(text: str) -> Decimal | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except ArithmeticError:
        return None


def test_compliance_with_the_23000_rule_equals_a_count_of_the_raw_files(built, sample_dir):
    _, _, serving = built
    over: dict[int, int] = defaultdict(int)
    complete: dict[int, int] = defaultdict(int)
    missing: dict[tuple[int, str], int] = defaultdict(int)
    for row in _rows(sample_dir):
        amount = _amount(row["montant"])
        date = row["dateConvention"].strip()
        year = int(date[:4]) if re.match(r"\d{4}-", date) else int(date[-4:])
        if amount is None or amount <= THRESHOLD:
            continue
        over[year] += 1
        empty = [f for f in REQUIRED if not (row.get(f) or "").strip()]
        complete[year] += not empty
        for f in empty:
            missing[(year, f)] += 1
    assert over  # the sample publishes every field: the incomplete case is tried on its own folder below
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql("select year, grants_over_threshold, grants_complete, compliance_rate, missing_field, "
                        "grants_missing from publication_compliance").fetchall()
    assert {y: (n, c) for y, n, c, *_ in rows} == {y: (over[y], complete[y]) for y in over}
    assert all(rate == pytest.approx(c / n) for _, n, c, rate, *_ in rows)
    assert {(y, f): m for y, _, _, _, f, m in rows if f} == dict(missing)


def test_grants_and_projects_reconcile_with_the_raw_files(built, sample_dir):
    _, _, serving = built
    grants = read_grants(sample_dir, read_organisations(sample_dir))
    activities = read_activities(sample_dir)
    by_key: dict[tuple[int, str], list] = defaultdict(lambda: [0, 0, 0.0])
    linked_ids = set()
    for g in grants:
        own = [a for a in activities if g.attribuant_id and (a.reporting_ref or "").endswith(g.attribuant_id)]
        hits = {a.identifier for a in own
                if a.grant_reference == g.reference or a.identifier == f"{a.reporting_ref}-{g.reference}"}
        cell = by_key[(g.year, g.programme)]
        cell[0] += 1
        if len(hits) == 1:
            cell[1] += 1
            linked_ids |= hits
        else:
            cell[2] += g.amount
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql("select year, programme, grants, grants_linked, grants_without_activity_eur, "
                        "activities_without_grant from grant_project_reconciliation").fetchall()
    got = {(y, p): [n, k, pytest.approx(e, abs=0.005)] for y, p, n, k, e, _ in rows if n}
    assert got == {k: v for k, v in by_key.items()}
    unlinked = {a.identifier for a in activities} - linked_ids
    assert unlinked and max(n for *_, n in rows) <= len(unlinked)


# --- the linking rules, one raw folder --------------------------------------------------

REGION = "20005376700014"
HEADER = ("nomAttribuant;idAttribuant;dateConvention;referenceDecision;nomBeneficiaire;idBeneficiaire;objet;"
          "montant;nature;conditionsVersement;datesPeriodeVersement;notificationUE;pourcentageSubvention;"
          "dispositifAide")
ASSO = "38047555800058"
GRANTS = [  # reference, beneficiary, SIRET, purpose, amount
    ("CP-A1", "Association Alpha", ASSO, "Eau au Sénégal", "10000"),     # linked by its decision reference
    ("CP-ID", "Association Alpha", ASSO, "Écoles au Mali", "20000"),     # linked by the activity identifier
    ("CP-TWO", "Association Alpha", ASSO, "Santé au Niger", "30000"),    # two activities claim it: ambiguous
    ("CP-NONE", "Association Alpha", ASSO, "Puits au Tchad", "40000"),   # beneficiary + title: suggested only
]


def _activity(identifier: str, title: str, a1: str | None = None, implementer: str | None = None) -> str:
    other = f'<other-identifier ref="{a1}" type="A1"/>' if a1 else ""
    org = (f'<participating-org role="4" ref="FR-SIRET-{implementer}"><narrative>Alpha</narrative>'
           f"</participating-org>") if implementer else ""
    return f"""<iati-activity default-currency="EUR">
  <iati-identifier>{identifier}</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>{title}</narrative></title>{other}{org}
  <recipient-country code="SN"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2024-06-01"/><value>1000</value></transaction>
 </iati-activity>"""


@pytest.fixture(scope="module")
def links(tmp_path_factory):
    raw = tmp_path_factory.mktemp("links") / "raw"
    (raw / "grants").mkdir(parents=True)
    (raw / "iati").mkdir()
    lines = [HEADER] + [f"Région;{REGION};2024-03-01;{ref};{name};{siret};{purpose};{amount};aide en numéraire;"
                        f"unique;2024-04-01;non;1;Coopération" for ref, name, siret, purpose, amount in GRANTS]
    # above 23,000 € but published without its payment terms (décret 2017-779: incomplete)
    lines.append(f"Région;{REGION};2024-05-02;CP-GAP;Association Beta;{ASSO};Puits;50000;aide en numéraire;;;non;1;"
                 "Éducation")
    (raw / "grants" / "subventions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    acts = [_activity("R-1", "Eau", a1="CP-A1"), _activity(f"FR-SIRET-{REGION}-CP-ID", "Écoles"),
            _activity("R-3", "Santé 1", a1="CP-TWO"), _activity("R-4", "Santé 2", a1="CP-TWO"),
            _activity("R-5", "Puits au Tchad", implementer=ASSO), _activity("R-6", "Cofinancement")]
    (raw / "iati" / "acts.xml").write_text('<iati-activities version="2.03">\n ' + "\n ".join(acts)
                                           + "\n</iati-activities>\n", encoding="utf-8")
    outcome = materialize_all(raw, raw.parent / "w.duckdb", raw.parent / "s.duckdb")
    assert outcome.success
    return duckdb.connect(str(raw.parent / "w.duckdb"), read_only=True)


def test_an_incomplete_publication_above_23000_is_counted_and_listed(links):
    rows = links.sql("select year, grants_over_threshold, grants_complete, compliance_rate, missing_field, "
                     "grants_missing from marts.publication_compliance order by missing_field").fetchall()
    # CP-A1 (10 000 €) and CP-ID (20 000 €) are below the threshold; CP-TWO and CP-NONE are
    # complete; CP-GAP (50 000 €) lacks two fields
    third = pytest.approx(2 / 3)
    assert rows == [(2024, 3, 2, third, "conditionsVersement", 1), (2024, 3, 2, third, "datesPeriodeVersement", 1)]
    gaps = links.sql("select reference_decision, missing_field from marts.publication_gaps order by 2").fetchall()
    assert gaps == [("CP-GAP", "conditionsVersement"), ("CP-GAP", "datesPeriodeVersement")]


def test_a_grant_links_by_decision_reference_or_identifier_to_one_activity_only(links):
    linked = dict(links.sql("select reference_decision, l.iati_identifier || ' by ' || l.method "
                            "from staging.grant_activities as l join staging.grants using (grant_key)").fetchall())
    assert linked == {"CP-A1": "R-1 by decision_reference", "CP-ID": f"FR-SIRET-{REGION}-CP-ID by identifier"}


def test_ambiguous_and_suggested_links_are_listed_never_guessed(links):
    review = sorted(links.sql("select reference_decision, review, method, iati_identifier "
                              "from marts.link_review").fetchall())
    assert review == [("CP-NONE", "suggested", "beneficiary_title", "R-5"),
                      ("CP-TWO", "ambiguous", "decision_reference", "R-3"),
                      ("CP-TWO", "ambiguous", "decision_reference", "R-4")]
    row = links.sql("select grants, grants_linked, grants_without_activity_eur, links_ambiguous, links_suggested "
                    "from marts.grant_project_reconciliation where programme = 'Coopération'").fetchall()[0]
    assert row == (4, 2, 70000.0, 1, 1)
    # fund no grant: their disbursements count as co-financing
    cofin = links.sql("select activities_without_grant, activities_without_grant_eur "
                      "from marts.grant_project_reconciliation where programme = 'Cofinancements (IATI)'").fetchall()[0]
    assert cofin == (4, 4000.0)


def test_every_download_the_data_page_links_answers_and_open_data_files_are_served(built):
    """Each dataset of the downloads allowlist answers 200 in every format (the data-quality
    tables used to answer 500); the snapshot's SCDL and IATI files and their report are served
    by name, anything else is a 404; the analysts' lists stay behind the login."""
    import json

    from dashboard.app import create_app
    from dashboard.downloads import DATASETS, FORMATS

    _, _, serving = built
    client = create_app(serving).server.test_client()
    for dataset in DATASETS:
        for fmt in FORMATS:
            assert client.get(f"/download/{dataset}.{fmt}").status_code == 200, (dataset, fmt)
    report = json.loads(client.get("/open-data/validation.json").get_data(as_text=True))
    names = [f["file"] for f in report["files"]]
    assert "iati-activities.xml" in names and any(n.startswith("subventions_") for n in names)
    with duckdb.connect(str(serving), read_only=True) as conn:
        years = {y for (y,) in conn.sql("select distinct year from grant_project_reconciliation where grants > 0")
                 .fetchall()}
    assert {f"subventions_{y}.csv" for y in years} <= set(names)
    body = client.get("/open-data/iati-activities.xml").get_data()
    assert body.startswith(b"<?xml") or body.startswith(b"<iati-activities")
    for bad in ("serving.duckdb", "validation.json.bak", "subventions_1900.csv"):
        assert client.get(f"/open-data/{bad}").status_code == 404
    # a path in the name never reaches a file (the route takes one segment; Dash answers the rest)
    sneaky = client.get("/open-data/..%2Fserving.duckdb")
    assert sneaky.mimetype == "text/html" and b"DUCK" not in sneaky.get_data()[:64]
    for private in ("publication_gaps", "link_review", "rejected"):
        assert client.get(f"/analyst/{private}.csv").status_code == 401
