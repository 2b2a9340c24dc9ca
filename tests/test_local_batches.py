"""The local readers in batches (issue 19): a file read a few rows at a time gives exactly the
rows, problems and totals of the file read in one batch, and those match an independent
reading of the file written here (stdlib csv + Decimal, plain text lines for the agenda).
Duplicate keys are found across batches, and across the key store's move to disk.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import pytest

import pipelines.sources.local.seen_keys as seen_keys
from pipelines.ingest import ingest_source
from pipelines.sources.common import ReadResult
from pipelines.sources.contracts import EVENT_TABLES, PAYMENT_TABLES
from pipelines.sources.local import (
    event_batches,
    job_batches,
    organisation_batches,
    payment_batches,
    read_events,
    read_jobs,
    read_organisations,
    read_payments,
)
from pipelines.sources.local.batches import in_batches, whole
from pipelines.sources.local.seen_keys import SeenKeys
from local_files import BAD, EVENT_HEADER, JOB_HEADER, ORG_HEADER, S1, S2, S3, S4, write
from luhn import with_key

BATCH_SIZES = [1, 2, 3, 7]
PAY_HEADER = "numero_mandat;date_paiement;montant;reference_decision;siret_beneficiaire;reference_subvention"
SIREN = with_key("38047555")

# Every rule once, and the same order number again in later batches (lines 2, 8, 14).
PAYMENTS = f"""{PAY_HEADER}
2024-1;2024-01-15;12500,00;CP-2024-03-117;{S1};
2024-2;2024-02-01;3333,3333333333;;;subventions_2024.csv:57
2024-3;2024-02-10;-1500,50;CP-2024-03-117;;
2024-4;2024-03-01;800,00;;{SIREN};

2024-5;2024-03-02;250,00;;{BAD};
2024-1;2024-03-04;90,00;CP-2024-01-002;;
2024-8;2024-02-30;75,25;CP-2024-01-002;;
2024-9;2024-03-05;10,12345678901;CP-2024-01-002;;
2024-10;2024-03-06;60,00;;;
2024-11;2024-03-08;99.99;;{S1[:3]} {S1[3:6]} {S1[6:9]} {S1[9:]};
2024-12;2024-03-09;10,00;CP-1;;;extra cell
2024-1;2024-03-10;20,00;CP-2024-01-002;;
;2024-03-11;7,00;CP-2024-01-002;;
2024-13;2024-03-12;1 000,00;CP-2024-01-002;;
"""

ORGANISATIONS = f"""{ORG_HEADER}
{S1},Artisans du Monde,9220,94.99Z,69123,69001,commerce_equitable
{S2},Cités Unies,9220,94.99Z,69266,69100,ong
{BAD},Mauvaise clé,9220,94.99Z,69123,69001,ong
{S1},Doublon,9220,94.99Z,69123,69001,ong
"{S3[:3]} {S3[3:6]} {S3[6:9]} {S3[9:]}",Espaces,9220,94.99Z,69123,69001,ong
{S4},Sans type,9220,94.99Z,69123,69001,
{S2},Encore un doublon,9220,94.99Z,69123,69001,ong
"""

JOBS = f"""{JOB_HEADER}
{S1},2023,10,8.5,4
{S1},2024,3,5,0
{S2},2024,2,1.5,
{S1},2023,11,9,5
{BAD},2024,1,1,1
{S3},1999,1,1,1
{S1},2024,4,4,0
"""

EVENTS_CSV = f"""{EVENT_HEADER}
e1,OK,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,concert,10,2
e2,Negative audience,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,concert,-5,
e3,Ends before start,2024-11-16T20:00:00,2024-11-16T19:00:00,69123,,Org,concert,10,2
e1,Again,2024-11-17T20:00:00,2024-11-17T22:00:00,69123,,Org,concert,10,2
e6,Bad organiser key,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,{BAD},Org,repas,10,2
e8,Unknown commune,2024-11-16T20:00:00,2024-11-16T22:00:00,99999,,Org,repas,10,2
e1,Third time,2024-11-18T20:00:00,2024-11-18T22:00:00,69123,,Org,concert,10,2
"""

COMMUNES = pl.DataFrame({"commune_code": ["69123", "69266"], "name": ["Lyon", "Villeurbanne"],
                         "postcode": ["69001", "69100"]})


def vevent(uid: str, summary: str, start: str, end: str | None, location: str | None, category: str | None) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART{start}"]
    lines += [f"DTEND{end}"] if end else []
    lines += [f"LOCATION:{location}"] if location else []
    lines += [f"CATEGORIES:{category}"] if category else []
    lines += ["ORGANIZER;CN=Collectif:mailto:c@example.org", "END:VEVENT"]
    return "\n".join(lines)


AGENDA = "\n".join([
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Festisol//Agenda//FR",
    vevent("a1", "Ciné-débat", ";TZID=Europe/Paris:20241116T200000", ";TZID=Europe/Paris:20241116T223000",
           "Cinéma Le Zola\\, 69100 Villeurbanne", "Projection"),
    vevent("a2", "Marché", ";VALUE=DATE:20241123", ";VALUE=DATE:20241124", "Place Bellecour\\, Lyon", "Marché équitable"),
    vevent("a3", "À l'envers", ":20241125T180000", ":20241125T170000", None, "Atelier"),
    vevent("a1", "Le même UID", ":20241126T180000", ":20241126T190000", "Lyon", "Concert"),
    vevent("a5", "Flashmob", ":20240701T120000Z", None, "Salle\\, Saint-Denis", "Flashmob"),
    vevent("a6", "Long titre plié en deux lignes pour voir si l'on suit bien le pliage des lignes\n  d'un agenda",
           ":20241127T180000", ":20241127T200000", "69123", None),
    vevent("a1", "Encore lui", ":20241128T180000", ":20241128T190000", "Lyon", "Concert"),
    "END:VCALENDAR", "",
])


def in_parts(read, path: Path, size: int, **kwargs) -> list[ReadResult]:
    parts = list(read(path, batch_rows=size, **kwargs))
    assert parts, "a file gives at least one batch"
    return parts


def assert_same_as_one_batch(parts: list[ReadResult], one: ReadResult, size: int) -> None:
    """Batches of `size` rows: each at most `size` rows, balanced on its own, and together the
    one-batch result: same rows read, problems in the same order, same frames."""
    assert all(p.rows_read <= size for p in parts)
    assert sum(p.rows_read for p in parts) == one.rows_read
    for part in parts:  # rows read = accepted + rejected, batch by batch
        kept = sum(f.height for name, f in part.tables.items() if name != "payments_set_aside")
        assert part.rows_read == kept + part.rows_rejected
    joined = whole(parts)
    assert joined.problems == one.problems
    assert joined.tables.keys() == one.tables.keys()
    for name, frame in one.tables.items():
        assert joined.tables[name].equals(frame), name


def independent_payments(path: Path) -> tuple[int, Decimal]:
    """(data rows, euros of every well-written amount), read with csv and Decimal."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f, delimiter=";")][1:]
    rows = [r for r in rows if r]
    amounts = [r[2].replace(",", ".") for r in rows]
    readable = [Decimal(a) for a in amounts if a.replace(".", "", 1).lstrip("-").isdigit() and len(a.split(".")[-1]) <= 10]
    return len(rows), sum(readable, Decimal(0))


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_payments_in_batches(tmp_path, size):
    path = write(tmp_path, "mandats_2024.csv", PAYMENTS)
    one = read_payments(path)
    parts = in_parts(payment_batches, path, size)
    assert len(parts) == -(-one.rows_read // size)
    assert_same_as_one_batch(parts, one, size)
    rows, euros = independent_payments(path)
    payments, set_aside = one.tables["payments"], one.tables["payments_set_aside"]
    assert one.rows_read == rows == 14 and one.rows_accepted == payments.height
    assert sum(payments["amount_eur"].to_list() + set_aside["amount_eur"].to_list(), Decimal(0)) == euros
    # the order number of line 2, again on lines 8 and 14: the later ones rejected, whatever the batch
    duplicates = {(int(p.source_row), p.reason) for p in one.problems if p.reason.startswith("primary_key")}
    assert duplicates == {(8, "primary_key: duplicate of row at line 2"), (14, "primary_key: duplicate of row at line 2")}
    shape = [p for p in one.problems if p.reason.startswith("row_shape")]
    assert [(p.source_row, p.source_file) for p in shape] == [("13", "mandats_2024.csv")]


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_organisations_and_jobs_in_batches(tmp_path, size):
    for text, name, read_whole, batches, table in (
        (ORGANISATIONS, "organisations.csv", read_organisations, organisation_batches, "organisations"),
        (JOBS, "emplois.csv", read_jobs, job_batches, "jobs"),
    ):
        path = write(tmp_path, name, text)
        one = read_whole(path)
        assert_same_as_one_batch(in_parts(batches, path, size), one, size)
        with open(path, encoding="utf-8", newline="") as f:
            assert one.rows_read == len(list(csv.reader(f))) - 1
    orgs = read_organisations(tmp_path / "organisations.csv")
    assert orgs.tables["organisations"]["siret"].to_list() == [S1, S2, S3]  # S4: no type, required
    assert {int(p.source_row) for p in orgs.problems if p.reason.startswith("primary_key")} == {5, 8}
    jobs = read_jobs(tmp_path / "emplois.csv")
    assert {int(p.source_row) for p in jobs.problems if p.reason.startswith("primary_key")} == {5, 8}


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_events_csv_in_batches(tmp_path, size):
    path = write(tmp_path, "evenements.csv", EVENTS_CSV)
    one = read_events(path, communes=COMMUNES)
    assert_same_as_one_batch(in_parts(event_batches, path, size, communes=COMMUNES), one, size)
    assert one.tables["events"]["event_id"].to_list() == ["e1", "e6", "e8"]
    assert {int(p.source_row) for p in one.problems if p.reason.startswith("primary_key")} == {5, 8}


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_ics_event_by_event_in_batches(tmp_path, size):
    path = write(tmp_path, "agenda.ics", AGENDA.replace("\n", "\r\n"))
    one = read_events(path, communes=COMMUNES)
    assert_same_as_one_batch(in_parts(event_batches, path, size, communes=COMMUNES), one, size)
    # independent: the BEGIN:VEVENT lines of the text, and the UID lines
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    begins = [n for n, line in enumerate(lines, start=1) if line == "BEGIN:VEVENT"]
    uids = [line.removeprefix("UID:") for line in lines if line.startswith("UID:")]
    assert one.rows_read == len(begins) == 7
    repeated = {begins[i] for i, uid in enumerate(uids) if uid in uids[:i]}
    assert {int(p.source_row) for p in one.problems if p.reason.startswith("primary_key")} == repeated
    rejected = {int(p.source_row) for p in one.problems if p.severity == "error"}
    assert one.tables["events"]["source_row"].to_list() == [n for n in begins if n not in rejected]
    folded = one.tables["events"].filter(pl.col("event_id") == "a6")["title"].item()
    assert folded.endswith("pliage des lignes d'un agenda")


def test_a_file_with_no_rows_still_gives_one_batch(tmp_path):
    path = write(tmp_path, "mandats_vides.csv", PAY_HEADER + "\n\n")
    (only,) = payment_batches(path, batch_rows=3)
    assert only.rows_read == 0 and only.problems == []
    assert {n: dict(f.schema) for n, f in only.tables.items()} == {n: dict(s) for n, s in PAYMENT_TABLES.items()}
    agenda = write(tmp_path, "vide.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n")
    (only,) = event_batches(agenda, batch_rows=3)
    assert only.rows_read == 0 and dict(only.tables["events"].schema) == dict(EVENT_TABLES["events"])


def test_keys_moved_to_disk_still_find_duplicates(tmp_path, monkeypatch):
    path = write(tmp_path, "mandats_2024.csv", PAYMENTS)
    expected = read_payments(path)
    monkeypatch.setattr(seen_keys, "MEMORY_KEYS", 2)  # to disk every second key
    assert_same_as_one_batch(list(payment_batches(path, batch_rows=4)), expected, 4)
    keys = SeenKeys(memory_keys=3)
    for line, key in enumerate([("a",), ("b", 2024), ("b", "2024"), ("c",), ("d",)], start=2):
        assert keys.get(key) is None
        keys.add(key, line)
    assert keys.disk is not None and len(keys) == 5
    # a string and an integer are different keys, on disk as in memory
    assert (keys.get(("b", 2024)), keys.get(("b", "2024")), keys.get(("d",)), keys.get(("e",))) == (3, 4, 6, None)
    keys.close()


def test_new_keys_after_a_spill_are_answered_without_asking_sqlite():
    """Past the first spill, a key never seen (most keys of a file) is answered by the Bloom filter
    of the keys on disk; a key on disk is still found there, with its line."""
    keys = SeenKeys(memory_keys=1000)
    for i in range(5000):
        keys.add((f"k{i}", i), i + 2)
    assert keys.disk is not None and keys.spilled == 5000 and not keys.recent
    asked: list[str] = []
    keys.disk.set_trace_callback(lambda sql: asked.append(sql) if sql.lstrip().lower().startswith("select") else None)
    assert [keys.get((f"k{i}", i)) for i in range(0, 5000, 7)] == [i + 2 for i in range(0, 5000, 7)]
    assert len(asked) == len(range(0, 5000, 7))  # each key on disk: one lookup
    asked.clear()
    assert all(keys.get((f"k{i}", str(i))) is None for i in range(5000))  # the same text, another type: new
    assert all(keys.get((f"n{i}", i)) is None for i in range(20_000))
    assert len(asked) < 50  # false positives only (~0 for 5,000 keys in 2^27 bits)
    keys.close()


def test_in_batches_refuses_an_empty_batch_size():
    assert list(in_batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError):
        list(in_batches(range(5), 0))


def test_the_warehouse_stores_batches_as_it_stores_the_whole_file(tmp_path):
    path = write(tmp_path, "mandats_2024.csv", PAYMENTS)
    one = read_payments(path)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    # a partial of a generator function: ingest streams it, batch after batch, in this process
    stats = ingest_source(conn, "payments", [path], partial(payment_batches, batch_rows=2), PAYMENT_TABLES)
    assert (stats["rows_read"], stats["rows_accepted"]) == (one.rows_read, one.rows_accepted)
    stored = conn.execute("select sum(amount_eur), count(*) from raw.payments").fetchone()
    assert stored == (sum(one.tables["payments"]["amount_eur"].to_list(), Decimal(0)), one.tables["payments"].height)
    conn.close()

