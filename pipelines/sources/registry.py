"""Every source, declared once: what its inbox folder is called, who reads it, what it loads.

One `Source` per source, in `SOURCES`. Everything that needs to know the sources reads this
list, so a new source is one entry here (docs/adding-a-source.md):

- its ingest asset `raw/<name>` (`pipelines/defs/raw/assets.py`, one per entry) and, when
  `yearly`, the `reload_year` job;
- `solidarity validate`, which picks the reader from `kinds` and `header_words`;
- `marts/data_quality`, which depends on every source (so a source rebuilt by the inbox
  sensor is counted again there), and the manifest's note on a file in no source folder.

Readers and table contracts are named as "module:attribute" and imported only when used: importing
this module is cheap, and one source's reader cannot break another's. A reader named with a
trailing "()" is a function that builds the reader when reading starts (events: the communes table).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# What `pipelines.sources.sniff.content_kind` tells of a file; an empty file is read as text
# (its reader says it is empty).
CONTENT_KINDS = ("xml", "ics", "spreadsheet", "text")


@dataclass(frozen=True)
class Source:
    name: str  # the inbox folder, the asset `raw/<name>`, `quality.file_loads.source`
    suffixes: tuple[str, ...]  # the usual file names: only orders the files (RawFiles.files)
    reader: str  # "module:function" -> Path -> ReadResult (or batches); "module:factory()" builds it
    tables: str  # "module:NAME" of its raw tables' columns and types (pipelines.sources.contracts)
    group: str  # the Dagster asset group
    description: str
    # `solidarity validate`: the content kinds this source reads; for a text file, the words
    # its header line holds (all of them, lower case). A text source with no header words takes
    # the text files no other source claims.
    kinds: tuple[str, ...] = ("text",)
    header_words: tuple[str, ...] = ()
    # raw table -> SQL expression of a row's year: the asset is partitioned by year
    # (pipelines/defs/partitions.py) and the reload_year job re-reads it
    yearly: Mapping[str, str] | None = field(default=None, hash=False)

    @property
    def key(self) -> list[str]:
        return ["raw", self.name]

    def load_reader(self) -> Callable:
        target = self.reader.removesuffix("()")
        found = _resolve(target)
        return found() if self.reader.endswith("()") else found

    def load_tables(self) -> Mapping[str, Mapping[str, Any]]:
        return _resolve(self.tables)


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


SOURCES: tuple[Source, ...] = (
    Source(
        name="grants",
        suffixes=(".csv", ".xlsx", ".xls", ".ods"),
        reader="pipelines.sources.scdl:read_grants",
        tables="pipelines.sources.contracts:GRANT_TABLES",
        group="grants",
        description="Grants as published in the SCDL `subventions` format, one row per grant, "
        "with every rejected row in quality.rejected_rows.",
        # SCDL headers vary too much to name their words: grants take the text files no other
        # source claims, and every spreadsheet
        kinds=("spreadsheet", "text"),
        # a grant's year is its convention's year: re-running 2020 replaces 2020's grants only
        yearly={"grants": "year"},
    ),
    Source(
        name="iati",
        suffixes=(".xml",),
        # batches appended to the warehouse as they are read: memory bounded by a batch
        reader="pipelines.sources.iati:iter_activity_batches",
        tables="pipelines.sources.contracts:IATI_TABLES",
        group="projects",
        description="IATI activities with their places, sectors, transactions, budgets and "
        "results; hostile XML is refused whole and recorded.",
        kinds=("xml",),  # by content: a registry download has no .xml suffix
    ),
    Source(
        name="organisations",
        suffixes=(".csv",),
        reader="pipelines.sources.local:read_organisations",
        tables="pipelines.sources.contracts:ORGANISATION_TABLES",
        group="local_impact",
        description="Organisations directory keyed by SIRET (data/schemas/organisations.schema.json).",
        header_words=("type_structure",),
    ),
    Source(
        name="jobs",
        suffixes=(".csv",),
        reader="pipelines.sources.local:read_jobs",
        tables="pipelines.sources.contracts:JOB_TABLES",
        group="local_impact",
        description="Jobs linked to international solidarity, per organisation and year "
        "(data/schemas/jobs.schema.json).",
        header_words=("etp", "annee"),
    ),
    Source(
        name="events",
        suffixes=(".csv", ".ics"),
        reader="pipelines.sources.local:events_reader()",
        tables="pipelines.sources.contracts:EVENT_TABLES",
        group="local_impact",
        description="Awareness-campaign events from CSV and iCalendar agendas "
        "(data/schemas/events.schema.json); the same event in both counts once in staging.",
        kinds=("ics", "text"),
        header_words=("type_evenement",),
        # the campaign is yearly (every November): a year re-run replaces that year's events only
        yearly={"events": 'year("start")'},
    ),
    Source(
        name="payments",
        suffixes=(".csv",),
        reader="pipelines.sources.payments:read_payments",
        tables="pipelines.sources.contracts:PAYMENT_TABLES",
        group="grants",
        description="Payment orders of grants as the region's accounting exports them "
        "(data/schemas/payments.schema.json), one row per payment; a rejected row's euros are "
        "set aside in raw.payments_set_aside with its reason, every problem in quality.rejected_rows.",
        header_words=("numero_mandat",),
    ),
)

BY_NAME: Mapping[str, Source] = {s.name: s for s in SOURCES}


def raw_key(name: str) -> list[str]:
    """The asset key of a registered source; a name not registered is a KeyError, not a dangling dependency."""
    return BY_NAME[name].key


def recognise(kind: str, header_line: str) -> Source:
    """The source a file belongs to, from its content kind and its first line: sources whose header
    words the line holds first (in registry order), then the source taking that kind as a whole."""
    kind = "text" if kind == "empty" else kind
    line = header_line.lower()
    if kind == "text":
        for source in SOURCES:
            if "text" in source.kinds and source.header_words and all(w in line for w in source.header_words):
                return source
    return next(s for s in SOURCES if kind in s.kinds and (kind != "text" or not s.header_words))
