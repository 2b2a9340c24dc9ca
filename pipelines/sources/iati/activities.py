"""IATI activity XML reader: streaming, bounded memory, hostile XML refused.

`iter_activity_batches(path)` and `read_activities(path)` read IATI 2.0x files and
1.0x files (1.0x text codes are translated, see `codes`) into the IATI tables
of docs/data-contracts.md.

Decisions:
- Hostile XML: any DOCTYPE (hence any ENTITY declaration: XXE, billion laughs)
  is refused with `SourceError` before a single element is read. Entities are
  never resolved, no DTD or network is loaded, and huge trees are off anyway.
- Malformed or truncated XML refuses the whole file (`SourceError` with lxml's
  line): a cut download would otherwise load as a smaller programme, and totals
  that are silently partial are worse than a file reported as unreadable.
- The root is `<iati-activities>` (activities as its children), or one bare
  `<iati-activity>`: publishers' per-activity exports often drop the wrapper, and
  refusing them lost that activity's money. Such a file is one activity, XPath
  `/iati-activity`, version and language from the activity's own attributes. Any
  other root (an organisation file, other XML) is refused: it is not an activity
  file. Nothing depends on the file's suffix or on a UTF-8 BOM.
- The unit is the activity. Any error inside an activity (bad number or date,
  unknown transaction type, missing iati-identifier...) rejects that whole
  activity: partial activities would misstate commitments and disbursements.
  Every error is reported; its `source_row` is the activity's XPath
  (`/iati-activities/iati-activity[3]`) and its `field` the offending node's
  path within it (`transaction[2]/value`), so `rows_rejected` counts activities.
  Accepted rows carry their own element XPath as `source_row`.
- Negative values (cancellations, de-obligations, reimbursements) are read as
  written: they are real money and count, netted (docs/money-rules.md); the warehouse
  lists them in a non-blocking warning, never here as a problem.
- Percentages that do not add up to 100 keep the activity with a warning
  (`percent_sum`), as do sectors without a code and unreadable indicator figures
  (baseline/target/actual: free text in 1.0x, e.g. "20,000"; left null, never guessed).
- Memory: `iter_activity_batches` yields a ReadResult per batch of activities, so
  the reader holds one batch of rows, whatever the file size; the pipeline appends
  each batch to DuckDB (`pipelines.warehouse.store_source`). `read_activities`
  concatenates the batches, for callers that want the whole file at once.
- Speed: 0.51-0.58x (median 0.56x) a bare iterparse pass over the same file in
  CPU time (same-run ratios in docs/benchmarks.md; was 0.31-0.33x): the
  per-activity walk (`activity.pyx`) is compiled and reads lxml's C tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
from lxml import etree

from pipelines.sources.common import ReadResult, SourceError
from pipelines.sources.iati.activity import SCHEMAS, XML_LANG, Batch, FileContext, Checker, read_activity
from pipelines.sources.text import decoded_head

ROOT_TAG = "iati-activities"
ACTIVITY_TAG = "iati-activity"
_HEAD_BYTES = 64 * 1024
# The prolog may hold an XML declaration, comments, PIs and whitespace; a DOCTYPE
# can only appear there, before the root element.
_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)


def iter_activity_batches(path: str | Path, batch_size: int = 1000) -> Iterator[ReadResult]:
    """The file's activities as ReadResults of at most `batch_size` activities each.

    Memory is bounded by the batch, not the file: each batch's rows become frames
    and are handed over before the next activity is read. 1,000 activities a batch:
    smaller column lists to grow than with 5,000 (the reader ~6 % faster, half the
    memory) and the same time for the warehouse appends (docs/benchmarks.md).
    The last batch (possibly empty) comes after the whole file has parsed, so a
    consumer that gets a `SourceError` part-way (truncated XML...) has seen some
    batches of a file that is refused whole: it must drop them (the warehouse
    does, see `store_source`).
    `sum(b.rows_read)` is the number of activities in the file; XPaths count
    activities across batches.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    path = Path(path)
    source_file = path.name  # as the SCDL reader: the manifest and every table name files relative to their folder
    _refuse_doctype_in_head(path)

    batch = Batch()
    rows_read = in_batch = 0
    chk: Checker | None = None
    parser = etree.iterparse(
        str(path),
        events=("end",),
        tag=ACTIVITY_TAG,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    xpath_prefix = f"/{ROOT_TAG}/{ACTIVITY_TAG}["
    single = False
    try:
        for _event, act in parser:
            if chk is None:
                ctx, single = _file_context(act, source_file)
                chk = Checker(ctx, batch.problems)
            parent = act.getparent()
            if single:
                # the root is the activity: an <iati-activity> inside it is no IATI shape
                if parent is not None:
                    raise SourceError(
                        source_file, f"line {act.sourceline}",
                        f"<{ACTIVITY_TAG}> nested inside the root <{ACTIVITY_TAG}>",
                    )
                xpath = f"/{ACTIVITY_TAG}"
            elif parent is None or parent.getparent() is not None:
                raise SourceError(
                    source_file, f"line {act.sourceline}",
                    f"<{ACTIVITY_TAG}> is not a direct child of <{ROOT_TAG}>",
                )
            else:
                xpath = f"{xpath_prefix}{rows_read + 1}]"
            rows_read += 1
            in_batch += 1
            read_activity(act, xpath, chk, batch)
            # Constant memory: drop this activity and everything parsed before it.
            act.clear(keep_tail=False)
            while parent is not None and act.getprevious() is not None:
                del parent[0]
            if in_batch == batch_size:
                yield ReadResult(source_file, in_batch, _frames(batch.columns), batch.problems)
                batch, in_batch = Batch(), 0
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else "?"
        raise SourceError(source_file, f"line {line}", f"malformed XML: {err.msg}") from err
    except OSError as err:
        raise SourceError(source_file, "-", f"cannot read file: {err}") from err

    root = parser.root
    if root is not None:
        _refuse_doctype(root.getroottree(), source_file, "line 1")
        _refuse_root(root, source_file)
    yield ReadResult(source_file, in_batch, _frames(batch.columns), batch.problems)


def read_activities(path: str | Path) -> ReadResult:
    """The whole file as one ReadResult (tests, `solidarity validate`); the pipeline
    streams `iter_activity_batches` to the warehouse instead."""
    batches = list(iter_activity_batches(path))
    tables = {name: pl.concat([b.tables[name] for b in batches]) for name in SCHEMAS}
    problems = [p for b in batches for p in b.problems]
    return ReadResult(str(Path(path)), sum(b.rows_read for b in batches), tables, problems)


def _file_context(act, source_file: str) -> tuple[FileContext, bool]:
    """Checks made once, at the first activity: DOCTYPE, root, version. Also tells
    whether the file is a single bare `<iati-activity>` (then `root` is that activity,
    so its own `version` and `xml:lang` are the file's)."""
    tree = act.getroottree()
    _refuse_doctype(tree, source_file, f"line {act.sourceline}")
    root = tree.getroot()
    _refuse_root(root, source_file)
    version = (root.get("version") or act.get("version") or "").strip() or None
    if version is not None and not version.startswith(("1.", "2.")):
        raise SourceError(source_file, f"line {root.sourceline}", f"unsupported IATI version {version!r}")
    return FileContext(source_file, version, root.get(XML_LANG)), root.tag == ACTIVITY_TAG


def _refuse_root(root, source_file: str) -> None:
    """Only `<iati-activities>` or one bare `<iati-activity>` hold activities."""
    if root.tag in (ROOT_TAG, ACTIVITY_TAG):
        return
    kind = ("not an IATI activity file (an IATI organisation file)" if root.tag == "iati-organisations"
            else "not an IATI activity file")
    raise SourceError(
        source_file, f"line {root.sourceline}",
        f"root element is <{root.tag}>, expected <{ROOT_TAG}> or a single <{ACTIVITY_TAG}>: {kind}",
    )


def _refuse_doctype(tree, source_file: str, where: str) -> None:
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.system_url or info.public_id:
        raise SourceError(source_file, where, "DOCTYPE/ENTITY declarations are refused (possible XXE or entity bomb)")


def _refuse_doctype_in_head(path: Path) -> None:
    """Look for a DOCTYPE in the prolog before lxml sees it: a bounded read."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as err:
        raise SourceError(path, "-", f"cannot read file: {err}") from err
    text = decoded_head(head).lstrip("\ufeff")
    pos = 0
    while m := _PROLOG_ITEM.match(text, pos):
        pos = m.end()
    rest = text[pos:].lstrip()
    if rest[:9].upper() == "<!DOCTYPE" or rest[:8].upper() == "<!ENTITY":
        line = text.count("\n", 0, text.index(rest[:2], pos)) + 1
        raise SourceError(path, f"line {line}", "DOCTYPE/ENTITY declarations are refused (possible XXE or entity bomb)")


def _frames(tables: dict[str, list[list]]) -> dict[str, pl.DataFrame]:
    """The batch's columns (one list per column, in `SCHEMAS` order) to frames."""
    return {
        name: pl.DataFrame([_series(col, values, dtype)
                            for (col, dtype), values in zip(SCHEMAS[name].items(), columns)])
        for name, columns in tables.items()
    }


def _series(col: str, values: list, dtype: pl.DataType) -> pl.Series:
    """One column. The compiled walk parses an xsd:decimal amount to a correctly rounded
    float; its shortest repr is the decimal the file wrote whenever that has at most 15
    significant digits (every amount of the real corpus has at most 11), so money goes
    float -> shortest text -> exact DECIMAL, never through the float's binary value
    (docs/money-rules.md, "Exact money"). Strict: an amount beyond DECIMAL(38, 10) fails."""
    if isinstance(dtype, pl.Decimal):
        return pl.Series(col, values, dtype=pl.Float64).cast(pl.String).cast(dtype)
    return pl.Series(col, values, dtype=dtype)
