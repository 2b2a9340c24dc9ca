"""Run iatiflattener (PyPI, the IATI community's flattener) over one activity file, offline.

Runs in bench/.venv-peers (never in the project's environment):
    bench/.venv-peers/bin/python bench/peers/iatiflattener_worker.py FILE OUTDIR

`FlattenIATIData.__init__` downloads codelists and IMF exchange rates over the network
before it reads anything (setup_codelists). Offline, we build the object without that
step and give it the same attributes with local stand-ins: the recipient codes found in
the file, empty organisation names, and a flat EUR/XOF->USD rate table. Then we call
its own `process_package` — the per-file work it does for every registry package:
activity CSV rows, one flattened row per transaction x country x sector, and budgets.
The network set-up is excluded from the timing (it is not parsing work).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import exchangerates
from iatiflattener import FlattenIATIData
from iatiflattener.lib import variables

RATE_CURRENCIES = {"EUR": 1.1, "XOF": 0.0017, "GBP": 1.3, "CHF": 1.1}


def _rates_file(out: Path) -> Path:
    # exchangerates' CSV: date, rate (units of USD per currency), currency
    path = out / "rates.csv"
    lines = ["date,rate,currency"]
    for year in range(2000, 2031):
        for month in range(1, 13):
            lines += [f"{year}-{month:02d}-01,{rate},{cur}" for cur, rate in RATE_CURRENCIES.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _codes(xml: Path, limit: int = 64 * 1024 * 1024) -> list[str]:
    """Recipient country/region codes in (the head of) the file."""
    with xml.open("rb") as fh:
        head = fh.read(limit).decode("utf-8", errors="replace")
    return sorted(set(re.findall(r'<recipient-(?:country|region) code="([^"]+)"', head)))


def flattener(xml: Path, out: Path) -> FlattenIATIData:
    out.mkdir(parents=True, exist_ok=True)
    (out / "csv" / "activities").mkdir(parents=True, exist_ok=True)
    fid = object.__new__(FlattenIATIData)
    fid.langs = ["en", "fr"]
    fid.csv_headers = variables.headers(fid.langs)
    fid.activity_csv_headers = variables.activity_headers(fid.langs)
    fid.output_dir = str(out)
    fid.activity_data = {}
    fid.countries = _codes(xml)
    fid.regions = []
    fid.category_group = {}
    fid.organisations = {"en": {}, "fr": {}}
    fid.exchange_rates = exchangerates.CurrencyConverter(update=False, source=str(_rates_file(out)))
    fid.countries_currencies = {}
    fid.reporting_organisation_groups = {}
    fid.setup_countries()
    fid.setup_organisations()
    return fid


def main(xml: str, out: str) -> None:
    xml_path, out_path = Path(xml), Path(out)
    fid = flattener(xml_path, out_path)
    start = time.perf_counter()
    fid.process_package("bench", xml_path.name, str(xml_path.parent))
    seconds = time.perf_counter() - start
    rows = 0
    for path in (out_path / "csv").glob("transaction-*.csv"):
        with path.open() as fh:
            rows += sum(1 for _ in fh) - 1
    print(json.dumps({"seconds": seconds, "rows": rows, "pid": os.getpid()}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
