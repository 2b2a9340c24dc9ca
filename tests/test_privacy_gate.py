"""The publish step refuses a snapshot that would name a natural person, whatever the table."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

from pipelines.privacy import PrivacyLeak
from pipelines.publish import publish_snapshot


def test_a_leaking_mart_stops_publication_and_the_served_snapshot_is_kept(built, tmp_path):
    outcome, warehouse, serving = built
    assert outcome.success
    warehouse_copy, served = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    shutil.copy(warehouse, warehouse_copy)
    shutil.copy(serving, served)
    before = hashlib.sha256(served.read_bytes()).hexdigest()

    conn = duckdb.connect(str(warehouse_copy))
    try:
        person = conn.execute(
            "select beneficiary_name from staging.grants where is_natural_person order by grant_key limit 1"
        ).fetchall()[0][0]
        # a careless new mart: copies names from staging without anonymising them
        conn.execute(
            "update marts.outcomes set activity_title = $name where iati_identifier = "
            "(select min(iati_identifier) from marts.outcomes)",
            {"name": person},
        )
        with pytest.raises(PrivacyLeak, match="outcomes.activity_title"):
            publish_snapshot(conn, served, is_sample=True)
    finally:
        conn.close()

    assert hashlib.sha256(served.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(".serving.duckdb.*.tmp*"))


def test_the_sample_snapshot_names_no_natural_person_yet_counts_their_grants(built):
    _, warehouse, serving = built
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        persons = conn.execute(
            "select count(*), sum(amount_eur) from staging.grants where is_natural_person"
        ).fetchall()[0]
        total = conn.execute("select sum(amount_eur) from staging.grants").fetchall()[0][0]
    with duckdb.connect(str(serving), read_only=True) as conn:
        public_total = conn.execute("select sum(amount_eur) from grants_public").fetchall()[0][0]
        anonymised = conn.execute(
            "select count(*) from grants_public where beneficiary_type = 'personne_physique' "
            "and beneficiary_name = 'Personne physique (anonymisée)'"
        ).fetchall()[0][0]
    assert persons[0] > 0
    assert anonymised == persons[0]
    assert public_total == pytest.approx(total, abs=0.01)
