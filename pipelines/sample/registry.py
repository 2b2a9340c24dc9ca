"""A registry-scale IATI dump for the context layer's tests and bench (`solidarity sample --registry N`).

Layout: the one of the daily IATI registry dump (codeforIATI/iati-data-dump, the "IATI Registry
Refresher": `grab_urls.py` lists every registry dataset per publisher, `fetch_data.sh` downloads
each to `data/<publisher>/<dataset>.xml`; with metadata, `metadata/<publisher>.json` is the
registry's `group_show` of the publisher and `metadata/<publisher>/<dataset>.json` its
`package_show` of the dataset):

    data/<publisher>/<publisher>-activities[-<k>].xml   activity files (1 to 40 per publisher)
    data/<publisher>/<publisher>-org.xml                an organisation file (~70 % of publishers,
                                                        as in the registry; not an activity file)
    metadata/<publisher>.json                           name, title, publisher_iati_id,
                                                        publisher_organization_type, publisher_country
    metadata/<publisher>/<dataset>.json                 name, organization, extras (filetype,
                                                        iati_version, activity_count), resources
    SAMPLE-DATA.txt                                     marks the dump as generated (no real dump has it)

Shape:
- Publisher sizes are log-normal (sigma 2.0, `SIZE_SIGMA`): most publishers hold tens of activities
  (a few KB to a few MB), a few hold tens of thousands (hundreds of MB at 9 GB), as in the real
  registry (~1,600 publishers, ~1 M activities, a ~9 GB dump). Without a size target the median
  publisher has `MEDIAN_ACTIVITIES` activities; with `target_mb` the activity counts are scaled
  so the files add up to about that size (`BYTES_PER_ACTIVITY`, measured on this generator), so
  `--registry 1600 --registry-mb 9000` writes a dump of the real size for the bench.
- Each activity file is IATI 2.01, 2.02 or 2.03 (its `version`), in its publisher's default
  currency (EUR, USD, GBP, CAD, JPY, SEK, CHF, XOF, NOK, DKK, AUD); ~15 % of transaction values
  carry their own `currency` (another one); every value has its `value-date`.
- Reporting organisations of IATI OrganisationType 10, 15, 21, 22, 23, 40, 60, 70, 80; recipient
  countries drawn with the sample's partner-country weights (`vocab.COUNTRIES`: Senegal, Burkina
  Faso, Mali... first, so the region's countries have other funders), some activities to an IATI
  region instead; DAC 5-digit sectors (`vocab.SECTORS`); one commitment (type 2) and 0-5
  disbursements (type 3) per activity, dated 2015-2025 (`vocab.YEARS`), never more than committed.
- Amounts are drawn in minor units (cents; yen and CFA francs have none) and written exactly.

Deterministic: publisher i draws from `random.Random(f"registry:{seed}:{i}")` and the sizes from
`random.Random(f"registry:{seed}:sizes")`; no clock is read, so same seed, same bytes.
Streamed: one activity element at a time through `lxml.etree.xmlfile` (as `iati_xml.activities_writer`
does for the region's file), so memory is flat at any size.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from lxml import etree

from pipelines.sample import vocab
from pipelines.sample.iati_xml import GENERATED_AT, XML_LANG, narrative, sub
from pipelines.settings import SAMPLE_MARKER

SIZE_SIGMA = 2.0
MEDIAN_ACTIVITIES = 40
BYTES_PER_ACTIVITY = 2_350  # mean size of a written activity (measured; used only for --registry-mb)
ACTIVITIES_PER_FILE = 2_000  # publishers split their data over files (by country, year...): about this many
MAX_FILES = 40
VERSIONS: tuple[tuple[str, float], ...] = (("2.01", 0.15), ("2.02", 0.25), ("2.03", 0.60))
# IATI OrganisationType code, weight, identifier prefix (org-id.guide lists)
ORG_TYPES: tuple[tuple[str, float, str], ...] = (
    ("10", 14, "XM-DAC"), ("15", 6, "XI-IATI"), ("21", 25, "GB-CHC"), ("22", 30, "US-EIN"),
    ("23", 4, "KE-NCB"), ("40", 6, "XM-DAC"), ("60", 7, "NL-KVK"), ("70", 4, "GB-COH"), ("80", 4, "FR-RNA"),
)
# currency, publishers' weight, units per euro (rough 2015-2025 level), decimals
CURRENCIES: tuple[tuple[str, float, float, int], ...] = (
    ("USD", 30, 1.12, 2), ("EUR", 25, 1.0, 2), ("GBP", 12, 0.86, 2), ("CAD", 5, 1.48, 2),
    ("JPY", 3, 140.0, 0), ("SEK", 5, 10.9, 2), ("CHF", 5, 1.02, 2), ("XOF", 3, vocab.XOF_PER_EUR, 0),
    ("NOK", 4, 10.8, 2), ("DKK", 3, 7.45, 2), ("AUD", 3, 1.60, 2),
)
_CURRENCY = {code: (rate, decimals) for code, _w, rate, decimals in CURRENCIES}
HOME_COUNTRIES = ("GB", "US", "NL", "DE", "FR", "SE", "CA", "JP", "CH", "NO", "DK", "AU", "BE", "KE", "SN")
_STEMS = ("aid", "care", "relief", "water", "health", "hope", "dev", "fund", "action", "partners")
_SENTENCES = (
    "The project works with local authorities and community organisations.",
    "Activities include training, equipment and the follow-up of local committees.",
    "Women and young people are the first beneficiaries.",
    "A mid-term review and a final evaluation are planned.",
    "The partner co-finances the running costs.",
    "Results are reported each year to the funders.",
)
_SECTORS = tuple(sorted({code for codes in vocab.SECTORS.values() for code in codes}))
FIRST_DAY, LAST_DAY = date(vocab.YEARS[0], 1, 1), date(vocab.YEARS[-1], 12, 31)


@dataclass(frozen=True)
class Publisher:
    index: int
    name: str  # the registry's short name: the folder under data/
    ref: str  # publisher_iati_id, the reporting-org ref
    org_type: str
    currency: str
    country: str
    activities: int
    has_org_file: bool


def plan_publishers(n: int, seed: int, target_mb: float | None = None) -> list[Publisher]:
    """The publishers and their activity counts (log-normal), before any file is written."""
    if n < 1:
        raise ValueError("a registry needs at least one publisher")
    sizes = random.Random(f"registry:{seed}:sizes")
    weights = [sizes.lognormvariate(0.0, SIZE_SIGMA) for _ in range(n)]
    if target_mb is None:
        counts = [max(1, round(MEDIAN_ACTIVITIES * w)) for w in weights]
    else:
        total = target_mb * 1_000_000 / BYTES_PER_ACTIVITY
        counts = [max(1, round(total * w / sum(weights))) for w in weights]
    out = []
    for i, count in enumerate(counts):
        rng = random.Random(f"registry:{seed}:{i}")
        org_type, _w, prefix = rng.choices(ORG_TYPES, weights=[w for _c, w, _p in ORG_TYPES])[0]
        currency = rng.choices(CURRENCIES, weights=[w for _c, w, _r, _d in CURRENCIES])[0][0]
        out.append(Publisher(
            index=i, name=f"{rng.choice(_STEMS)}{i:04d}", ref=f"{prefix}-{rng.randrange(10**5, 10**7)}",
            org_type=org_type, currency=currency, country=rng.choice(HOME_COUNTRIES),
            activities=count, has_org_file=rng.random() < 0.7,
        ))
    return out


def write_registry(
    out: str | Path, publishers: int, seed: int = 2026, target_mb: float | None = None,
    progress: Callable[[str], None] | None = None, workers: int = 1,
) -> dict[str, int]:
    """Write the dump under `out` (data/ and metadata/); return what was written. Publishers are
    independent (each its own random stream), so `workers` processes give the same bytes, sooner
    (~10 MB/s per process here: about 8 minutes for a 9 GB dump on 2 cores)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # invented publishers and money: the context reader carries this marker into its manifest, the
    # snapshot and the dashboard ("données d'exemple"), as `solidarity sample` marks its raw folder
    (out / SAMPLE_MARKER).write_text(
        f"Generated IATI registry dump (solidarity sample --registry {publishers}, seed {seed}): "
        "invented publishers and figures, not the real registry.\n", encoding="utf-8")
    counts = {"publishers": 0, "activity files": 0, "organisation files": 0, "activities": 0,
              "transactions": 0, "bytes": 0}
    plan = plan_publishers(publishers, seed, target_mb)
    jobs = [(out, pub, seed) for pub in plan]
    if workers <= 1:
        written = map(_write_publisher_job, jobs)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        written = pool.map(_write_publisher_job, sorted(jobs, key=lambda j: -j[1].activities))
    try:
        for one in written:
            for key, n in one.items():
                counts[key] += n
            counts["publishers"] += 1
            if progress and counts["publishers"] % 100 == 0:
                progress(f"registry: {counts['publishers']}/{publishers} publishers, {counts['bytes'] / 1e6:.0f} MB")
    finally:
        if workers > 1:
            pool.shutdown()
    return counts


def _write_publisher_job(job: tuple[Path, Publisher, int]) -> dict[str, int]:
    out, pub, seed = job
    counts = {"activity files": 0, "organisation files": 0, "activities": 0, "transactions": 0, "bytes": 0}
    _write_publisher(out, pub, seed, counts)
    return counts


def _write_publisher(out: Path, pub: Publisher, seed: int, counts: dict[str, int]) -> None:
    folder, meta = out / "data" / pub.name, out / "metadata" / pub.name
    folder.mkdir(parents=True, exist_ok=True)
    meta.mkdir(parents=True, exist_ok=True)
    _write_json(out / "metadata" / f"{pub.name}.json", {
        "name": pub.name, "title": f"{pub.name.title()} ({pub.ref})", "publisher_iati_id": pub.ref,
        "publisher_organization_type": pub.org_type, "publisher_country": pub.country,
    })
    n_files = min(MAX_FILES, max(1, math.ceil(pub.activities / ACTIVITIES_PER_FILE)))
    if pub.activities >= 20:
        n_files = max(n_files, 2)  # mid-sized publishers split by country or year too
    rng = random.Random(f"registry:{seed}:{pub.index}:files")
    first = 0
    for k in range(n_files):
        size = pub.activities // n_files + (1 if k < pub.activities % n_files else 0)
        dataset = f"{pub.name}-activities" if n_files == 1 else f"{pub.name}-activities-{k + 1}"
        version = rng.choices([v for v, _w in VERSIONS], weights=[w for _v, w in VERSIONS])[0]
        path = folder / f"{dataset}.xml"
        transactions = write_activity_file(
            path, pub, version, range(first, first + size), random.Random(f"registry:{seed}:{pub.index}:{k}"))
        first += size
        _write_json(meta / f"{dataset}.json", _dataset_metadata(pub, dataset, "activity", version, size))
        counts["activity files"] += 1
        counts["activities"] += size
        counts["transactions"] += transactions
        counts["bytes"] += path.stat().st_size
    if pub.has_org_file:
        path = folder / f"{pub.name}-org.xml"
        _write_organisation_file(path, pub)
        _write_json(meta / f"{pub.name}-org.json", _dataset_metadata(pub, f"{pub.name}-org", "organisation", "2.03", 0))
        counts["organisation files"] += 1
        counts["bytes"] += path.stat().st_size


def write_activity_file(path: Path, pub: Publisher, version: str, numbers: range, rng: random.Random) -> int:
    """One `iati-activities` file, streamed; returns the number of transactions written."""
    transactions = 0
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("iati-activities", {"version": version, "generated-datetime": GENERATED_AT}):
            xf.write("\n")
            for number in numbers:
                act, n_tx = activity_element(pub, number, rng)
                etree.indent(act, space=" ", level=1)  # publishers' files are indented
                xf.write(act, pretty_print=True)
                transactions += n_tx
    return transactions


def activity_element(pub: Publisher, number: int, rng: random.Random) -> tuple[etree._Element, int]:
    """One activity of `pub` and its transaction count. Element order: the 2.0x `iati-activity` sequence."""
    act = etree.Element("iati-activity", {
        XML_LANG: "en", "default-currency": pub.currency,
        "last-updated-datetime": GENERATED_AT, "hierarchy": "1",
    })
    sub(act, "iati-identifier", f"{pub.ref}-{number + 1:06d}")
    narrative(act, "reporting-org", pub.name.title(), ref=pub.ref, type=pub.org_type)
    theme = rng.choice(vocab.PROJECT_THEMES["Soutien aux projets des ONG"])
    narrative(act, "title", f"{theme} #{number + 1}")
    narrative(act, "description", " ".join(rng.choices(_SENTENCES, k=rng.randrange(1, 8))), type="1")
    narrative(act, "participating-org", pub.name.title(), ref=pub.ref, role="1", type=pub.org_type)
    narrative(act, "participating-org", f"Partner {rng.randrange(1, 5000)}", role="4",
               type=rng.choice(("21", "22", "23", "24", "70")))
    start = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days - 60))
    end = min(LAST_DAY, start + timedelta(days=rng.randrange(180, 5 * 365)))
    sub(act, "activity-status", code="4" if end.year < 2024 else "2")
    sub(act, "activity-date", iso_date=start.isoformat(), type="2")
    sub(act, "activity-date", iso_date=end.isoformat(), type="3")
    if rng.random() < 0.08:
        sub(act, "recipient-region", code=rng.choice(vocab.REGIONS), vocabulary="1", percentage="100")
    else:
        codes = _distinct(rng, [c for c, _n, _w in vocab.COUNTRIES], [w for _c, _n, w in vocab.COUNTRIES])
        for code, pct in zip(codes, _percentages(rng, len(codes))):
            sub(act, "recipient-country", code=code, percentage=str(pct))
    sectors = _distinct(rng, _SECTORS, None)
    for code, pct in zip(sectors, _percentages(rng, len(sectors))):
        sub(act, "sector", vocabulary="1", code=code, percentage=str(pct))
    committed = _minor_units(rng, pub.currency)
    years = range(start.year, end.year + 1)
    for year in years:  # one budget per year (IATI budget periods are at most a year)
        budget = sub(act, "budget", type="1", status="2")
        sub(budget, "period-start", iso_date=max(start, date(year, 1, 1)).isoformat())
        sub(budget, "period-end", iso_date=min(end, date(year, 12, 31)).isoformat())
        sub(budget, "value", _decimal_text(committed // len(years), pub.currency), value_date=f"{year}-01-01")
    _transaction(act, "2", start, committed, pub.currency, None)
    n_tx, paid, day = 1, 0, start
    for _ in range(rng.randrange(0, 6)):
        day = min(end, day + timedelta(days=rng.randrange(30, 400)))
        tranche = math.floor((committed - paid) * rng.uniform(0.2, 0.7))
        if tranche <= 0:
            break
        paid += tranche
        currency, amount = pub.currency, tranche
        if rng.random() < 0.15:  # a value in another currency than the activity's default
            currency = rng.choice([c for c, *_ in CURRENCIES if c != pub.currency])
            amount = _convert(tranche, pub.currency, currency)
        _transaction(act, "3", day, amount, currency, currency)
        n_tx += 1
    return act, n_tx


def _transaction(act, type_code: str, when: date, minor: int, currency: str, own_currency: str | None) -> None:
    tx = sub(act, "transaction")
    sub(tx, "transaction-type", code=type_code)
    sub(tx, "transaction-date", iso_date=when.isoformat())
    attrs = {"value_date": when.isoformat()}
    if own_currency is not None:
        attrs["currency"] = own_currency
    sub(tx, "value", _decimal_text(minor, currency), **attrs)


def _minor_units(rng: random.Random, currency: str) -> int:
    """A commitment in the currency's minor units: log-normal around 150,000 EUR."""
    rate, decimals = _CURRENCY[currency]
    euros = rng.lognormvariate(math.log(150_000), 1.4)
    return max(1, round(euros * rate * 10**decimals))


def _convert(minor: int, source: str, target: str) -> int:
    (src_rate, src_dec), (dst_rate, dst_dec) = _CURRENCY[source], _CURRENCY[target]
    return max(1, round(minor / 10**src_dec / src_rate * dst_rate * 10**dst_dec))


def _decimal_text(minor: int, currency: str) -> str:
    decimals = _CURRENCY[currency][1]
    if decimals == 0:
        return str(minor)
    units, cents = divmod(minor, 10**decimals)
    return f"{units}.{cents:0{decimals}d}"


def _distinct(rng: random.Random, codes, weights) -> list[str]:
    """1 to 3 different codes (most activities have one)."""
    wanted = rng.choices((1, 2, 3), weights=(70, 20, 10))[0]
    picked: list[str] = []
    while len(picked) < wanted:
        code = rng.choices(codes, weights=weights)[0]
        if code not in picked:
            picked.append(code)
    return picked


def _percentages(rng: random.Random, n: int) -> list[int]:
    """n whole percentages adding up to 100."""
    if n == 1:
        return [100]
    cuts = sorted(rng.sample(range(1, 100), n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, 100])]


def _write_organisation_file(path: Path, pub: Publisher) -> None:
    root = etree.Element("iati-organisations", {"version": "2.03", "generated-datetime": GENERATED_AT})
    org = sub(root, "iati-organisation", default_currency=pub.currency, last_updated_datetime=GENERATED_AT)
    sub(org, "organisation-identifier", pub.ref)
    narrative(org, "name", pub.name.title())
    narrative(org, "reporting-org", pub.name.title(), ref=pub.ref, type=pub.org_type)
    etree.ElementTree(root).write(str(path), encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _dataset_metadata(pub: Publisher, dataset: str, filetype: str, version: str, activities: int) -> dict:
    extras = {"filetype": filetype, "iati_version": version, "publisher_iati_id": pub.ref}
    if filetype == "activity":
        extras["activity_count"] = str(activities)
    return {
        "name": dataset, "organization": {"name": pub.name, "title": pub.name.title()},
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "resources": [{"url": f"https://{pub.name}.example.org/iati/{dataset}.xml", "format": "IATI-XML"}],
    }


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n", encoding="utf-8")
