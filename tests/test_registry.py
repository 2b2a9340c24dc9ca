"""The source registry (pipelines/sources/registry.py): each entry loads, its tables are a contract,
the sample has its folder, `solidarity validate` recognises the sample's files as it, and the
places that need every source (ingest assets, data quality, reload job, manifest) take them all."""

from __future__ import annotations

import inspect
from pathlib import Path

import dagster as dg
import pytest

from pipelines.sources import contracts
from pipelines.sources.registry import CONTENT_KINDS, SOURCES, raw_key, recognise

NAMES = [s.name for s in SOURCES]


def test_names_are_unique_folder_names():
    assert len(set(NAMES)) == len(NAMES)
    assert all(n.isidentifier() and n == n.lower() for n in NAMES)


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_the_reader_loads_and_reads_a_path(source):
    reader = source.load_reader()
    assert callable(reader)
    target = getattr(reader, "func", reader)  # events: the reader bound to the communes table
    assert list(inspect.signature(target).parameters)[0] == "path"


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_the_tables_are_a_contract(source):
    # in pipelines.sources.contracts (every shipped source), or beside the source's own reader
    module, _, name = source.tables.partition(":")
    assert module in ("pipelines.sources.contracts", source.reader.partition(":")[0]) and name.endswith("_TABLES")
    tables = source.load_tables()
    assert module != contracts.__name__ or tables is getattr(contracts, name)
    # every accepted row says where it was read (quality.file_loads, the rejected rows)
    assert all({"source_file", "source_row"} <= set(columns) for columns in tables.values())
    # partitioned tables are tables of the source
    assert set(source.yearly or {}) <= set(source.load_tables())


def test_every_content_kind_goes_to_exactly_one_source_when_no_header_words_claim_it():
    for kind in CONTENT_KINDS:
        whole = [s.name for s in SOURCES if kind in s.kinds and (kind != "text" or not s.header_words)]
        assert len(whole) == 1, (kind, whole)
    assert all(set(s.kinds) <= set(CONTENT_KINDS) for s in SOURCES)


def test_header_words_pick_their_source_and_the_rest_is_grants():
    assert recognise("text", "SIRET;Nom;Type_Structure;Commune").name == "organisations"
    assert recognise("text", "siret;annee;etp").name == "jobs"
    assert recognise("text", "id;titre;type_evenement;debut").name == "events"
    assert recognise("text", "numero_mandat;date_paiement;montant").name == "payments"
    assert recognise("text", "nomAttribuant;idAttribuant;montant").name == "grants"
    assert recognise("empty", "").name == "grants"
    assert recognise("xml", "<?xml version='1.0'?>").name == "iati"
    assert recognise("ics", "BEGIN:VCALENDAR").name == "events"
    assert recognise("spreadsheet", "PK").name == "grants"


def test_raw_key_refuses_a_source_not_registered():
    assert raw_key("grants") == ["raw", "grants"]
    with pytest.raises(KeyError):
        raw_key("not_a_source")


def test_the_sample_has_a_folder_per_source_and_no_other(sample_dir):
    folders = {p.name for p in Path(sample_dir).iterdir() if p.is_dir()}
    assert folders == set(NAMES)


def test_validate_recognises_every_sample_file_as_its_folders_source(sample_dir):
    from pipelines.validate import reader_for

    seen = set()
    for path in sorted(Path(sample_dir).glob("*/*")):
        assert reader_for(path)[0] == path.parent.name, path
        seen.add(path.parent.name)
    assert seen == set(NAMES)


def test_one_ingest_asset_per_source_with_its_group_and_partitions():
    from pipelines.definitions import defs

    graph = defs.get_repository_def().asset_graph
    raw = {k.path[1] for k in graph.get_all_asset_keys() if k.path[0] == "raw"}
    assert raw == set(NAMES)
    for source in SOURCES:
        node = graph.get(dg.AssetKey(source.key))
        assert node.group_name == source.group
        assert (node.partitions_def is not None) == bool(source.yearly)


def test_data_quality_and_the_reload_job_take_every_source_they_need():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    parents = repo.asset_graph.get(dg.AssetKey(["marts", "data_quality"])).parent_keys
    assert {dg.AssetKey(s.key) for s in SOURCES} <= parents
    reload_year = repo.get_job("reload_year")
    selected = {k for k in reload_year.asset_layer.selected_asset_keys if k.path[0] == "raw"}
    assert selected == {dg.AssetKey(s.key) for s in SOURCES if s.yearly}


def test_the_manifest_note_names_every_source_folder():
    from pipelines.publish import NOT_READ

    assert all(f"{n}/" in NOT_READ for n in NAMES)
