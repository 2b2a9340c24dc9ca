"""The context layer as Dagster assets, then its marts (sql/models/context/) on a copy of the sample's
warehouse: the `context_dump` sensor gives each dump file its partition, each partition reads its file
(an unchanged one is not read again), and the context models put the registry's money by country × year
in euros exactly where an independent reading puts it (ElementTree, Decimal, the shipped ECB rates
applied by hand: tests/context_money.py). Without a context read, nothing of it runs or fails.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from context_money import Rates, money_by_place_year

from pipelines.context.dump import load_manifest
from pipelines.defs.context.assets import context_models, registry_files
from pipelines.defs.context.partitions import REGISTRY_FILES
from pipelines.defs.context.resources import RegistryDump
from pipelines.defs.context.sensors import context_dump
from pipelines.resources import build_resources
from pipelines.sample.registry import write_registry

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry")
    write_registry(out, 5, seed=31, target_mb=1)
    return out


@pytest.fixture(scope="module")
def layer(tmp_path_factory, built, dump):
    """The dump read partition by partition as the sensor asks, then the context models built on a
    copy of the sample's warehouse: (instance, resources, warehouse, first sensor result)."""
    outcome, sample_warehouse, _ = built
    # the region's marts are what the shares need (publication is not)
    assert {"ref/reference_tables", "marts/funding_by_country", "marts/funding_by_sector"} <= set(
        outcome.materialized), outcome.report_lines()
    work = tmp_path_factory.mktemp("context-marts")
    warehouse = work / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    resources = {
        **build_resources(work / "raw", warehouse, work / "serving.duckdb"),
        "registry_dump": RegistryDump(dump_dir=str(dump), context_dir=str(work / "context")),
    }
    instance = dg.DagsterInstance.ephemeral()
    first = tick(instance, resources, cursor=None)
    for request in first.run_requests:
        result = dg.materialize([registry_files], resources=resources, instance=instance,
                                partition_key=request.partition_key)
        assert result.success
    result = dg.materialize([context_models], resources=resources, instance=instance)
    assert result.success
    return instance, resources, warehouse, first


def tick(instance, resources, cursor):
    with dg.build_sensor_context(instance=instance, cursor=cursor,
                                 resources={"registry_dump": resources["registry_dump"]}) as context:
        result = context_dump(context)
        # the daemon applies the partition requests before it launches the runs
        for request in result.dynamic_partitions_requests:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(REGISTRY_FILES.name, list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    instance.delete_dynamic_partition(REGISTRY_FILES.name, key)
        return result


def test_the_sensor_gives_each_dump_file_a_partition_and_a_run(dump, layer):
    instance, resources, _, first = layer
    files = sorted(f"{p.parent.name}/{p.name}" for p in dump.glob("data/*/*"))
    assert sorted(instance.get_dynamic_partitions(REGISTRY_FILES.name)) == files
    assert sorted(r.partition_key for r in first.run_requests) == files
    # nothing changed since: one run of the context models, then nothing
    second = tick(instance, resources, first.cursor)
    assert [r.job_name for r in second.run_requests] == ["context_marts"]
    assert tick(instance, resources, second.cursor).run_requests == []


def test_every_activity_file_is_read_once_and_an_unchanged_one_not_again(dump, layer):
    instance, resources, _, _ = layer
    manifest = load_manifest(Path(resources["registry_dump"].context_dir))
    assert {k: e["status"] for k, e in manifest.items()} == {
        f"{p.parent.name}/{p.name}": "not_activity" if p.name.endswith("-org.xml") else "read"
        for p in dump.glob("data/*/*")}
    key = sorted(manifest)[0]
    again = dg.materialize([registry_files], resources=resources, instance=instance, partition_key=key)
    status = again.asset_materializations_for_node("context__registry_files")[0].metadata["status"]
    assert status.value == "skipped"
    assert load_manifest(Path(resources["registry_dump"].context_dir))[key] == manifest[key]


def test_money_by_country_and_year_is_the_xml_converted_by_hand(dump, layer):
    _, _, warehouse, _ = layer
    expected, converted_total, unconverted = money_by_place_year(dump, Rates())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select country_code, year, sum(committed_eur), sum(disbursed_eur)
            from context.context_funding group by all
        """).fetchall()
        missing = con.execute("select count(*) from context.context_transactions_eur where rate_missing").fetchone()[0]
        types = {r[0] for r in con.execute("select distinct typeof(committed_eur) from context.context_funding").fetchall()}
    got = {}
    for place, year, committed, disbursed in rows:
        got[(place, year, "committed")] = committed
        got[(place, year, "disbursed")] = disbursed
    assert types == {"DECIMAL(38,10)"}
    assert missing == unconverted
    # every converted value is kept whole, to the last decimal
    assert sum(got.values()) == converted_total
    keys = {k for k, v in expected.items() if v} | {k for k, v in got.items() if v}
    assert len(keys) > 20
    for key in sorted(keys):
        assert abs(Decimal(expected.get(key, 0).numerator) / expected.get(key, 1).denominator
                   - got.get(key, Decimal(0))) < CENT, key


def test_top_funders_and_the_regions_share_add_up(layer):
    _, _, warehouse, _ = layer
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the funders of a place and category are its money, publisher by publisher
        assert con.execute("""
            select count(*) from (
                select year, country_code, category_code, sum(committed_eur) as money
                from context.context_top_funders group by all
            ) as f
            full join (
                select year, country_code, category_code, sum(committed_eur) as money
                from context.context_funding group by all
            ) as c using (year, country_code, category_code)
            where f.money is distinct from c.money
        """).fetchone()[0] == 0
        assert con.execute("select min(funder_rank) from context.context_top_funders").fetchone()[0] == 1
        # the region's side is its own mart's money; the share is its part of both
        region, mart = con.execute("""
            select (select sum(region_committed_eur) from context.context_share_by_country),
                   (select sum(committed_eur) from marts.funding_by_country)
        """).fetchone()
        assert region == mart and region > 0
        bad = con.execute("""
            select count(*) from context.context_share_by_country
            where region_committed_eur + registry_committed_eur > 0
              and abs(region_committed_share * (region_committed_eur + registry_committed_eur)
                      - region_committed_eur) > 0.01
        """).fetchone()[0]
        assert bad == 0
        both = con.execute("""
            select count(*) from context.context_share_by_country
            where region_committed_eur > 0 and registry_committed_eur > 0
        """).fetchone()[0]
        assert both > 0  # the generator puts other funders in the region's countries


def test_without_a_context_nothing_is_built_and_nothing_fails(tmp_path):
    from pipelines.definitions import ALL_ASSETS

    assert not [k for a in ALL_ASSETS for k in a.keys if k.path[0] == "context"]
    resources = {
        **build_resources(tmp_path / "raw", tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"),
        "registry_dump": RegistryDump(dump_dir=str(tmp_path / "no-dump"), context_dir=str(tmp_path / "context")),
    }
    result = dg.materialize([context_models], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert result.get_asset_materialization_events() == []
