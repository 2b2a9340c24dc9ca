"""The SQL as a dbt project, as Dagster shows it: every model an asset with its description and
its columns' meanings, every check of sql/checks a check of its mart, dependencies exactly the
ref() and source() its SQL names (read here from the files with a regular expression, not from
dbt), and lineage from every registered source to the serving snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import yaml

from pipelines.definitions import defs
from pipelines.sources.registry import SOURCES

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "sql"
MODELS = {p.stem: p for p in (SQL / "models").glob("*/*.sql")}
REF = re.compile(r"\{\{\s*ref\('([a-z_0-9]+)'\)\s*\}\}")
SOURCE = re.compile(r"\{\{\s*source\('([a-z_0-9]+)',\s*'([a-z_0-9]+)'\)\s*\}\}")
GRAPH = defs.get_repository_def().asset_graph


def key_of(name: str) -> dg.AssetKey:
    return dg.AssetKey([MODELS[name].parent.name, name])


def source_key(source: str) -> set[dg.AssetKey]:
    if source == "ref":
        return {dg.AssetKey(["ref", "reference_tables"])}
    if source == "quality":  # the load records every source writes: every source
        return {dg.AssetKey(s.key) for s in SOURCES}
    return {dg.AssetKey(["raw", source])}


def test_every_model_is_an_asset_with_its_description():
    keys = {k for k in GRAPH.get_all_asset_keys() if k.path[0] in ("staging", "marts")}
    assert keys == {key_of(name) for name in MODELS}
    for name, path in MODELS.items():
        described = yaml.safe_load(path.with_suffix(".yml").read_text(encoding="utf-8"))["models"][0]
        assert described["name"] == name
        node = GRAPH.get(key_of(name))
        # the .yml's description, then (dagster-dbt's) the model's SQL
        assert " ".join(node.description.split()).startswith(" ".join(described["description"].split())), name
        assert node.group_name == path.parent.name


def test_dependencies_are_exactly_the_refs_and_sources_the_sql_names():
    for name, path in MODELS.items():
        text = path.read_text(encoding="utf-8")
        expected = {key_of(r) for r in REF.findall(text)}
        for source, _table in SOURCE.findall(text):
            expected |= source_key(source)
        assert set(GRAPH.get(key_of(name)).parent_keys) == expected, name


def test_mart_columns_carry_their_meaning():
    for name, path in MODELS.items():
        if path.parent.name != "marts":
            continue
        spec_schema = GRAPH.get(key_of(name)).metadata["dagster/column_schema"]
        declared = [c["name"] for c in yaml.safe_load(path.with_suffix(".yml").read_text(encoding="utf-8"))
                    ["models"][0].get("columns", [])]
        assert [c.name for c in spec_schema.columns] == declared, name
        assert declared and all(c.description and "{{" not in c.description for c in spec_schema.columns), name


def test_every_check_file_is_a_check_of_the_mart_its_config_names():
    checks = {k.name: k for k in GRAPH.asset_check_keys}
    for path in sorted((SQL / "checks").glob("*.sql")):
        named = re.search(r"'ref': \{'name': '([a-z_0-9]+)'\}", path.read_text(encoding="utf-8")).group(1)
        assert checks[path.stem].asset_key == key_of(named), path.name
        node = GRAPH.get(checks[path.stem])
        assert node.description, path.name  # the check file's leading comment
        warn = "severity='warn'" in path.read_text(encoding="utf-8")
        assert node.blocking is not warn, path.name  # an error blocks publication, a warning does not


def test_lineage_runs_from_every_source_to_the_snapshot():
    snapshot = dg.AssetKey(["publish", "serving_snapshot"])
    for source in SOURCES:
        reached, frontier = set(), {dg.AssetKey(source.key)}
        while frontier:
            key = frontier.pop()
            reached.add(key)
            frontier |= set(GRAPH.get(key).child_keys) - reached
        assert snapshot in reached, source.name
