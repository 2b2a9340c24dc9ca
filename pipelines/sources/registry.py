"""Every source, declared once: in the dbt project, as a dbt source with its `meta.solidarity`.

A source's declaration is its `sources:` entry in a .yml under `sql/models/` (today
`sql/models/sources/<name>.yml`): its inbox folder (the source's name), its raw tables (the
dbt source's tables, in schema `raw`, which the models read with `source()`), and under
`meta.solidarity` who reads it and how. dbt reads the same entry for lineage; this module
reads it for everything else, so a new source is one entry there (docs/adding-a-source.md):

- its ingest asset `raw/<name>` (`pipelines/defs/raw/assets.py`, one per entry) and, when
  `yearly`, the `reload_year` job;
- `solidarity validate`, which picks the reader from `kinds` and `header_words`;
- `marts/data_quality`, which depends on every source (so a source rebuilt by the inbox
  sensor is counted again there), and the manifest's note on a file in no source folder;
- `solidarity sample`, which writes the sample files of a source that names a `sample` writer.

Readers, table contracts and sample writers are named as "module:attribute" and imported only
when used: reading the registry is cheap, and one source's reader cannot break another's. A
reader named with a trailing "()" is a function that builds the reader when reading starts
(events: the communes table).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import SQL_DIR

# What `pipelines.sources.text.content_kind` tells of a file; an empty file is read as text
# (its reader says it is empty).
CONTENT_KINDS = ("xml", "ics", "spreadsheet", "text")
# the key of a dbt source's `meta` that makes it a registered source
META_KEY = "solidarity"


@dataclass(frozen=True)
class Source:
    name: str  # the inbox folder, the asset `raw/<name>`, the dbt source, `quality.file_loads.source`
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
    # "module:function" (folder: Path, seed: int) -> rows written: its sample files; the
    # sources of the shipped sample are written by pipelines/sample/generate.py itself
    sample: str | None = None
    # the raw tables the dbt source lists (the contract's tables, checked by tests/test_registry.py)
    dbt_tables: tuple[str, ...] = ()
    declared_in: str = ""  # the .yml, relative to the project

    @property
    def key(self) -> list[str]:
        return ["raw", self.name]

    def load_reader(self) -> Callable:
        target = self.reader.removesuffix("()")
        found = _resolve(target)
        return found() if self.reader.endswith("()") else found

    def load_tables(self) -> Mapping[str, Mapping[str, Any]]:
        return _resolve(self.tables)

    def load_sample(self) -> Callable | None:
        return _resolve(self.sample) if self.sample else None


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _declared(entry: Mapping[str, Any], path: Path) -> Source:
    meta = dict(entry["meta"][META_KEY])
    where = path.relative_to(SQL_DIR.parent).as_posix()
    try:
        source = Source(
            name=entry["name"],
            description=" ".join(str(entry.get("description", "")).split()),
            suffixes=tuple(meta.pop("suffixes")),
            reader=meta.pop("reader"),
            tables=meta.pop("tables"),
            group=meta.pop("group"),
            kinds=tuple(meta.pop("kinds", ("text",))),
            header_words=tuple(meta.pop("header_words", ())),
            yearly=meta.pop("yearly", None),
            sample=meta.pop("sample", None),
            dbt_tables=tuple(t["name"] for t in entry.get("tables", [])),
            declared_in=where,
        )
    except KeyError as missing:
        raise ValueError(f"{where}: source {entry.get('name')!r} has no meta.{META_KEY}.{missing.args[0]}") from None
    if meta:
        raise ValueError(f"{where}: source {entry.get('name')!r}: unknown meta.{META_KEY} keys {sorted(meta)}")
    return source


def declared_sources(models_dir: Path = SQL_DIR / "models") -> tuple[Source, ...]:
    """Every dbt source carrying `meta.solidarity`, in the order of its file's path."""
    found = []
    for path in sorted(models_dir.rglob("*.yml")):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for entry in (document or {}).get("sources", []) or []:
            if META_KEY in (entry.get("meta") or {}):
                found.append(_declared(entry, path))
    return tuple(found)


SOURCES: tuple[Source, ...] = declared_sources()

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
