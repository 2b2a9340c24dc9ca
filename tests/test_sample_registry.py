"""The registry-scale dump generator (`solidarity sample --registry N`): deterministic, shaped as the
IATI registry's bulk dump, skewed, 2.01-2.03, many currencies, and read by the pipeline's reader
without a single rejected activity. Figures are recomputed from the written files with ElementTree.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.sample.registry import plan_publishers, write_registry
from pipelines.sources.iati import iter_activity_batches

PUBLISHERS = 30
TARGET_MB = 4


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry")
    write_registry(out, PUBLISHERS, seed=7, target_mb=TARGET_MB)
    return out


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def activity_files(dump: Path) -> list[Path]:
    return sorted(dump.glob("data/*/*-activities*.xml"))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    write_registry(tmp_path / "a", 5, seed=11, target_mb=0.5)
    write_registry(tmp_path / "b", 5, seed=11, target_mb=0.5, workers=2)  # processes change nothing
    write_registry(tmp_path / "c", 5, seed=12, target_mb=0.5)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a") != digests(tmp_path / "c")


def test_layout_is_the_registry_dump(dump):
    publishers = sorted(p.name for p in (dump / "data").iterdir())
    assert len(publishers) == PUBLISHERS
    for name in publishers:
        meta = json.loads((dump / "metadata" / f"{name}.json").read_text())
        assert meta["name"] == name and meta["publisher_organization_type"]
        for path in (dump / "data" / name).iterdir():
            dataset = json.loads((dump / "metadata" / name / f"{path.stem}.json").read_text())
            extras = {e["key"]: e["value"] for e in dataset["extras"]}
            root = ET.parse(path).getroot()
            expected = "organisation" if root.tag == "iati-organisations" else "activity"
            assert extras["filetype"] == expected
            if expected == "activity":
                assert extras["iati_version"] == root.get("version")
                assert int(extras["activity_count"]) == len(root.findall("iati-activity"))
                # the reporting org is the publisher, with the type its registry record gives
                assert {a.find("reporting-org").get("type") for a in root} == {meta["publisher_organization_type"]}
    assert any(len(list((dump / "data" / name).glob("*-activities-*.xml"))) >= 2 for name in publishers)


def test_versions_currencies_countries_and_transactions(dump):
    versions, currencies, own_currency, countries, types = Counter(), Counter(), 0, Counter(), Counter()
    for path in activity_files(dump):
        root = ET.parse(path).getroot()
        versions[root.get("version")] += 1
        for act in root:
            default = act.get("default-currency")
            countries.update(c.get("code") for c in act.findall("recipient-country"))
            assert all(len(s.get("code")) == 5 and s.get("vocabulary") == "1" for s in act.findall("sector"))
            for tx in act.findall("transaction"):
                value = tx.find("value")
                types[tx.find("transaction-type").get("code")] += 1
                when = date.fromisoformat(tx.find("transaction-date").get("iso-date"))
                assert date(2015, 1, 1) <= when <= date(2025, 12, 31)
                assert value.get("value-date")
                own_currency += value.get("currency") is not None
                currencies[value.get("currency") or default] += 1
                Decimal(value.text)  # xsd:decimal as written
    assert set(versions) == {"2.01", "2.02", "2.03"}
    assert len(currencies) >= 8 and {"EUR", "USD", "GBP", "XOF", "JPY"} <= set(currencies)
    assert own_currency > 0
    assert {"ML", "SN", "BF"} <= set(countries)
    assert set(types) == {"2", "3"} and types["3"] > types["2"] / 2


def test_sizes_are_skewed_and_follow_the_target(dump):
    sizes = sorted(sum(f.stat().st_size for f in p.iterdir()) for p in (dump / "data").iterdir())
    assert sizes[-1] > 10 * statistics.median(sizes)  # a few publishers are very large
    total = sum(f.stat().st_size for f in activity_files(dump))
    assert 0.6 * TARGET_MB * 1e6 < total < 1.5 * TARGET_MB * 1e6
    # at registry scale: the top 1 % of publishers hold a large share, the median one little
    counts = sorted((p.activities for p in plan_publishers(1600, seed=1, target_mb=9000)), reverse=True)
    assert sum(counts[:16]) > 0.2 * sum(counts)
    assert statistics.median(counts) < statistics.mean(counts) / 3


def test_the_pipeline_reader_accepts_every_activity(dump):
    read = written = 0
    for path in activity_files(dump):
        written += len(ET.parse(path).getroot())
        for batch in iter_activity_batches(path):
            read += batch.rows_read
            assert batch.problems == [], batch.problems[:3]
    assert read == written > 0
