"""The Dagster definitions load, and every asset is documented, grouped and checked."""

import dagster as dg

from pipelines.definitions import ALL_ASSETS, defs


def test_definitions_load_and_hold_the_whole_graph():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"raw/grants", "raw/iati", "staging/allocations", "marts/funding_by_country", "marts/kpis",
            "publish/serving_snapshot"} <= keys


def test_every_asset_has_group_description_and_owner():
    for assets_def in ALL_ASSETS:
        for key in assets_def.keys:
            spec = next(s for s in assets_def.specs if s.key == key)
            assert spec.group_name and spec.group_name != "default", key
            assert spec.description and len(spec.description) > 20, key
            assert spec.owners, key


def test_marts_and_ingest_assets_have_checks():
    repo = defs.get_repository_def()
    checked = {k.asset_key.to_user_string() for k in repo.asset_graph.asset_check_keys}
    for key in ("raw/grants", "raw/iati", "raw/events", "marts/funding", "marts/funding_by_country",
                "marts/flows", "marts/grants_public", "marts/kpis"):
        assert key in checked, key


def test_publish_is_downstream_of_every_snapshot_mart():
    from pipelines.publish import SNAPSHOT_MARTS

    repo = defs.get_repository_def()
    parents = repo.asset_graph.get(dg.AssetKey(["publish", "serving_snapshot"])).parent_keys
    assert {dg.AssetKey(["marts", m]) for m in SNAPSHOT_MARTS} <= set(parents)


def test_workspace_loads_as_dagster_dev_would():
    """`dagster definitions validate` loads workspace.yaml the way `dagster dev` does."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr
