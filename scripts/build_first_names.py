"""Build `pipelines/sources/first_names.csv.gz` from INSEE's national first-names file.

The natural-person rule (pipelines/sources/person_names.py) needs to know first names as
French civil registers give them. INSEE's "Fichier des prénoms" (births in France since
1900, by first name, sex and year; Licence Ouverte 2.0) is that list. This keeps each
first name given at least MIN_BIRTHS times since 1900 (rare spellings and one-off names
would make organisation words read as first names), folded to upper case without accents,
with its number of births.

    python scripts/build_first_names.py nat2020.csv

Source, version and licence: data/reference/SOURCES.md; procedure: docs/reference-data.md.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from the checkout
from pipelines.sources.person_names import first_name_key  # noqa: E402  the key the reader looks up

MIN_BIRTHS = 100
OUT = Path(__file__).resolve().parents[1] / "pipelines" / "sources" / "first_names.csv.gz"


def main(source: Path) -> None:
    births: Counter[str] = Counter()
    with source.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if not row["preusuel"].startswith("_"):  # _PRENOMS_RARES: the rare names, pooled
                births[first_name_key(row["preusuel"])] += int(row["nombre"])
    kept = sorted((n, c) for n, c in births.items() if c >= MIN_BIRTHS)
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        lines = ["first_name,births"] + [f"{n},{c}" for n, c in kept]
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"{OUT}: {len(kept)} first names given at least {MIN_BIRTHS} times")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
