"""Turn one parsed `<iati-activity>` element into table rows and problems.

Element-local: `read_activity` walks the activity's children once (no XPath
queries, which cost a tree search per call) and appends one row tuple per output
row, in the column order of `SCHEMAS`, to the current `Batch`. The streaming loop in `iati.py`
owns the file; this module owns the meaning of IATI elements.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from pipelines.sources import iati_codes
from pipelines.sources.common import Problem
from pipelines.sources.contracts import IATI_TABLES

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# the accepted tables' columns and types: the one contract (docs/data-contracts.md)
SCHEMAS = IATI_TABLES

# xsd:date, optionally with a time or a timezone, as publishers write it.
_DATE = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*)?(?:Z|[+-]\d{2}:?\d{2})?\s*")
# xsd:decimal: no thousands separators, no exponent, no NaN/inf.
_DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_PERCENT_TOLERANCE = 0.01
_INF = math.inf


@dataclass
class FileContext:
    """What every activity of one file shares."""

    source_file: str
    version: str | None
    default_lang: str | None


class Batch:
    """The rows (table name -> row tuples) and problems of the activities read so far.

    `read_activity` appends straight into it and takes an activity's rows back out if
    the activity turns out to be rejected: no per-activity containers.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in SCHEMAS}
        self.problems: list[Problem] = []


class Checker:
    """Parses values and records a Problem for each one that does not parse.

    Problems sit on the activity's XPath with the offending node's relative path
    in `field` (`transaction[2]/value`), so that `ReadResult.rows_rejected`
    (distinct erroneous source_row) counts rejected activities, the unit read.
    One checker serves a whole file; `start` points it at the next activity.
    """

    def __init__(self, ctx: FileContext, problems: list[Problem]):
        self.ctx = ctx
        self.source_file = ctx.source_file
        self.problems = problems
        self.xpath = ""
        self.errors = 0

    def start(self, xpath: str, problems: list[Problem]) -> None:
        self.xpath = xpath
        self.problems = problems
        self.errors = 0

    def problem(self, where: str, value: str | None, reason: str, severity: str = "error") -> None:
        if severity == "error":
            self.errors += 1
        self.problems.append(Problem(self.source_file, self.xpath, where, value, reason, severity))

    # `where` is a %-template completed with `at` only when there is a problem to
    # report: the common, valid value costs no string building.
    def date(self, raw: str | None, where: str, at: object) -> date | None:
        if raw is None:
            return None
        if len(raw) == 10:  # the common YYYY-MM-DD: skip the regex
            try:
                return _fromisoformat(raw)
            except ValueError:
                pass
        if not raw.strip():
            return None
        m = _DATE.fullmatch(raw)
        if m:
            try:
                return _fromisoformat(m.group(1))
            except ValueError:
                pass
        self.problem(where % at, raw, "not an ISO date (YYYY-MM-DD)")
        return None

    def decimal(self, raw: str | None, where: str, at: object, severity: str = "error") -> float | None:
        if raw is None:
            return None
        # The common "1234.50": digits with at most one dot is an xsd:decimal (isdecimal
        # accepts what the regex's \d accepts); anything else takes the regex.
        if raw.replace(".", "", 1).isdecimal():
            value = float(raw)
            if value != _INF:
                return value
        elif not raw.strip():
            return None
        if _DECIMAL.fullmatch(raw):
            value = float(raw)
            if math.isfinite(value):
                return value
            self.problem(where % at, raw[:40], "number too large", severity)
            return None
        self.problem(where % at, raw, "not a decimal number", severity)
        return None

    def integer(self, raw: str | None, where: str, at: object, severity: str = "error") -> int | None:
        if raw is None or not raw.strip():
            return None
        try:
            return int(raw.strip())
        except ValueError:
            self.problem(where % at, raw, "not an integer", severity)
            return None


_fromisoformat = date.fromisoformat


def _text(el) -> str | None:
    if el is None or el.text is None:
        return None
    text = el.text.strip()
    return text or None


def _attr(el, name: str) -> str | None:
    """An attribute, stripped; None when absent or blank."""
    value = el.get(name)
    if value is None:
        return None
    return value.strip() or None


def narrative(elements: list, default_lang: str | None) -> str | None:
    """French text if any, else the default language's, else the first non-empty.

    2.0x wraps text in `<narrative xml:lang=..>` children; 1.0x puts it in the
    element itself (possibly repeated per language). Both are handled.
    """
    default = (default_lang or "")[:2].lower() or None
    first = in_default = None
    for el in elements:
        el_lang = el.get(XML_LANG)
        found_narrative = False
        for node in el:
            if node.tag != "narrative":
                continue
            found_narrative = True
            text = node.text
            if text is None or not (text := text.strip()):
                continue
            lang = (node.get(XML_LANG) or el_lang or default_lang or "")[:2].lower() or None
            if lang == "fr":
                return text
            if first is None:
                first = text
            if in_default is None and lang == default:
                in_default = text
        if not found_narrative:
            text = _text(el)
            if text is None:
                continue
            lang = (el_lang or default_lang or "")[:2].lower() or None
            if lang == "fr":
                return text
            if first is None:
                first = text
            if in_default is None and lang == default:
                in_default = text
    return in_default if in_default is not None else first


def _percent_sums(chk: Checker, groups: dict[str, list[float | None]], where: str, what: str) -> None:
    """Warn (row kept) when stated percentages of a group do not add up to 100."""
    for key, percents in groups.items():
        stated = [p for p in percents if p is not None]
        if not stated:
            continue  # no percentages at all: IATI reads a single entry as 100%
        total = sum(stated)
        if abs(total - 100.0) > _PERCENT_TOLERANCE or len(stated) != len(percents):
            label = f"{what} {key}".strip()
            chk.problem(
                where,
                f"{total:g}",
                f"percent_sum: {label} percentages sum to {total:g} over "
                f"{len(stated)} of {len(percents)} entries, not 100",
                "warning",
            )


# The activity's children that are read; the others (activity-scope, default-*...)
# are skipped without being grouped.
_READ_TAGS = frozenset({
    "iati-identifier", "reporting-org", "activity-status", "activity-date", "other-identifier",
    "participating-org", "recipient-country", "recipient-region", "sector", "transaction",
    "budget", "result", "title", "description",
})
_NONE: tuple = ()


def read_activity(act, xpath: str, chk: Checker, batch: Batch) -> bool:
    """Append one activity's rows to `batch` and its problems to `batch.problems`.

    Returns False (and leaves no row in `batch`) when the activity is rejected.
    """
    rows = batch.rows
    chk.start(xpath, batch.problems)
    ctx = chk.ctx
    source_file = ctx.source_file
    lang = act.get(XML_LANG) or ctx.default_lang
    default_currency = _attr(act, "default-currency")

    # One pass grouping the children that are read by tag; each group is then read in turn.
    groups: dict[str, list] = {}
    for child in act:
        tag = child.tag
        if tag in _READ_TAGS:  # comments and PIs have a non-str tag: never in the set
            group = groups.get(tag)
            if group is None:
                groups[tag] = [child]
            else:
                group.append(child)
    get = groups.get

    identifier = None
    for el in get("iati-identifier", _NONE):
        identifier = _text(el)
    reporting_ref = reporting_name = status = grant_reference = None
    for el in get("reporting-org", _NONE):
        reporting_ref = _attr(el, "ref")
        reporting_name = narrative((el,), lang)
    for el in get("activity-status", _NONE):
        status = el.get("code")
    dates: dict[str, date | None] = {}
    for n, el in enumerate(get("activity-date", _NONE), start=1):
        kind = iati_codes.activity_date_type(el.get("type"))
        if kind is not None:
            dates[kind] = chk.date(el.get("iso-date"), "activity-date[%s]/@iso-date", n)
    for el in get("other-identifier", _NONE):
        if el.get("type") == "A1":
            grant_reference = _attr(el, "ref")
            break
    if identifier is None:
        chk.problem("iati-identifier", None, "missing or empty iati-identifier")
        return False  # nothing else can be joined to an activity without its id

    # Where this activity's rows start in each table, to take them back on rejection.
    marks = [(table, len(table)) for table in rows.values()]
    rows["activities"].append(
        (
            source_file, xpath, identifier,
            ctx.version,
            reporting_ref,
            reporting_name,
            narrative(get("title", _NONE), lang),
            narrative(_general_descriptions(get("description", _NONE)), lang),
            status,
            default_currency,
            dates.get("2") or dates.get("1"),  # actual beats planned
            dates.get("4") or dates.get("3"),
            grant_reference,
            act.get("hierarchy"),
        )
    )
    out = rows["participating_orgs"]
    for n, el in enumerate(get("participating-org", _NONE), start=1):
        raw_role = el.get("role")
        role = iati_codes.org_role(raw_role)
        if role is None:
            chk.problem(f"participating-org[{n}]/@role", raw_role, "unknown or missing organisation role")
        out.append(
            (source_file, f"{xpath}/participating-org[{n}]", identifier, role,
             _attr(el, "ref"), narrative((el,), lang), el.get("type"))
        )

    countries, regions = get("recipient-country", _NONE), get("recipient-region", _NONE)
    if countries or regions:
        out = rows["activity_locations"]
        percents: list[float | None] = []
        for tag, elements in (("recipient-country", countries), ("recipient-region", regions)):
            for n, el in enumerate(elements, start=1):
                where = f"{tag}[{n}]"
                code = _attr(el, "code")
                if code is None:
                    chk.problem(f"{where}/@code", None, "missing code")
                pct = chk.decimal(el.get("percentage"), "%s/@percentage", where)
                percents.append(pct)
                if tag == "recipient-country":
                    kind, vocabulary, code = "country", None, code and code.upper()
                else:
                    kind, vocabulary = "region", (el.get("vocabulary") or "1").strip()
                out.append((source_file, f"{xpath}/{where}", identifier, kind, code, vocabulary, pct))
        _percent_sums(chk, {"": percents}, "recipient-country|recipient-region/@percentage",
                      "recipient country and region")

    sectors = get("sector")
    if sectors:
        out = rows["activity_sectors"]
        sector_percents: dict[str, list[float | None]] = {}
        for n, el in enumerate(sectors, start=1):
            where = f"sector[{n}]"
            vocabulary = iati_codes.sector_vocabulary(el.get("vocabulary"))
            code = _attr(el, "code")
            if code is None:
                # 1.0x "RO" sectors were sometimes only a label: keep the row, flag it.
                chk.problem(f"{where}/@code", _text(el), "sector without code", "warning")
            pct = chk.decimal(el.get("percentage"), "%s/@percentage", where)
            sector_percents.setdefault(vocabulary, []).append(pct)
            out.append((source_file, f"{xpath}/{where}", identifier, vocabulary, code, pct))
        _percent_sums(chk, sector_percents, "sector/@percentage", "sector vocabulary")

    out = rows["transactions"]
    for n, el in enumerate(get("transaction", _NONE), start=1):
        out.append(_transaction(el, n, identifier, default_currency, chk))
    out = rows["budgets"]
    for n, el in enumerate(get("budget", _NONE), start=1):
        out.append(_budget(el, n, identifier, default_currency, chk))
    for n, el in enumerate(get("result", _NONE), start=1):
        _result_rows(el, n, identifier, lang, chk, rows["results"])

    if chk.errors:
        for table, mark in marks:
            del table[mark:]
        return False
    return True


def _general_descriptions(descriptions) -> list:
    """Description type 1 (general) or untyped first; other types as fallback."""
    general = [d for d in descriptions if d.get("type") in (None, "1")]
    return general or descriptions


def _transaction(el, n: int, identifier: str, default_currency: str | None, chk: Checker) -> tuple:
    type_code = date_raw = value_el = None
    country = region = sector_vocab = sector_code = provider = receiver = None
    for child in el:
        tag = child.tag
        if tag == "transaction-type":
            type_code = child.get("code")
        elif tag == "transaction-date":
            date_raw = child.get("iso-date")
        elif tag == "value":
            value_el = child
        elif tag == "provider-org":
            provider = (child.get("provider-org-ref") or child.get("ref") or "").strip() or None
        elif tag == "receiver-org":
            receiver = (child.get("receiver-org-ref") or child.get("ref") or "").strip() or None
        elif tag == "recipient-country" and country is None:
            country = (child.get("code") or "").strip().upper() or None
        elif tag == "recipient-region" and region is None:
            region = _attr(child, "code")
        elif tag == "sector" and sector_code is None:
            sector_vocab = iati_codes.sector_vocabulary(child.get("vocabulary"))
            sector_code = _attr(child, "code")

    ttype = iati_codes.transaction_type(type_code)
    if ttype is None:
        chk.problem(f"transaction[{n}]/transaction-type/@code", type_code, "unknown or missing transaction type")
    if date_raw is None or not date_raw.strip():
        chk.problem(f"transaction[{n}]/transaction-date/@iso-date", None, "missing transaction date")
        tdate = None
    else:
        tdate = chk.date(date_raw, "transaction[%s]/transaction-date/@iso-date", n)
    value = currency = value_date = None
    if value_el is None or _text(value_el) is None:
        chk.problem(f"transaction[{n}]/value", None, "missing value")
    else:
        value = chk.decimal(value_el.text, "transaction[%s]/value", n)
        value_date = chk.date(value_el.get("value-date"), "transaction[%s]/value/@value-date", n)
        currency = _attr(value_el, "currency") or default_currency
    if value_el is not None and currency is None:
        chk.problem(f"transaction[{n}]/value/@currency", None, "no currency and no activity default-currency")
    return (
        chk.source_file, f"{chk.xpath}/transaction[{n}]", identifier, n, ttype, tdate, value,
        currency, value_date or tdate, country, region, sector_vocab, sector_code, provider, receiver,
    )


def _budget(el, n: int, identifier: str, default_currency: str | None, chk: Checker) -> tuple:
    start = end = value = currency = value_date = None
    value_el = None
    for child in el:
        tag = child.tag
        if tag == "period-start":
            start = chk.date(child.get("iso-date"), "budget[%s]/period-start/@iso-date", n)
        elif tag == "period-end":
            end = chk.date(child.get("iso-date"), "budget[%s]/period-end/@iso-date", n)
        elif tag == "value":
            value_el = child
    if value_el is None or _text(value_el) is None:
        chk.problem(f"budget[{n}]/value", None, "missing value")
    else:
        value = chk.decimal(value_el.text, "budget[%s]/value", n)
        value_date = chk.date(value_el.get("value-date"), "budget[%s]/value/@value-date", n)
        currency = _attr(value_el, "currency") or default_currency
        if currency is None:
            chk.problem(f"budget[{n}]/value/@currency", None, "no currency and no activity default-currency")
    return (
        chk.source_file, f"{chk.xpath}/budget[{n}]", identifier,
        iati_codes.budget_type(el.get("type")), el.get("status"),
        start, end, value, currency, value_date or start,
    )


def _ascending(raw: str | None) -> bool:
    # IATI default is ascending; "0"/"false" mean lower is better.
    return (raw or "1").strip().lower() not in ("0", "false")


# Indicator figures were free text in 1.0x ("20,000") and are often qualitative:
# an unreadable one is flagged and left null, it does not cost the activity's money.
_RESULT = "warning"


def _result_rows(el, n: int, identifier: str, lang: str | None, chk: Checker, out: list[tuple]) -> None:
    """One row per indicator period; an indicator without periods gives one row."""
    where = f"result[{n}]"
    titles = [c for c in el if c.tag == "title"]
    result_title = narrative(titles, lang)
    result_type = iati_codes.result_type(el.get("type"))
    indicators = [c for c in el if c.tag == "indicator"]
    for i, ind in enumerate(indicators, start=1):
        iwhere = f"{where}/indicator[{i}]"
        row_path = f"{chk.xpath}/{iwhere}"
        head = (
            chk.source_file, row_path, identifier, n, result_type, result_title, i,
            narrative([c for c in ind if c.tag == "title"], lang),
            ind.get("measure"), _ascending(ind.get("ascending")),
        )
        baseline_year = baseline_value = None
        periods = []
        for child in ind:
            if child.tag == "baseline" and baseline_year is None and baseline_value is None:
                baseline_year = chk.integer(child.get("year"), "%s/baseline/@year", iwhere, _RESULT)
                baseline_value = chk.decimal(child.get("value"), "%s/baseline/@value", iwhere, _RESULT)
            elif child.tag == "period":
                periods.append(child)
        if not periods:
            out.append((*head, baseline_year, baseline_value, None, None, None, None))
        for p, period in enumerate(periods, start=1):
            pwhere = f"{iwhere}/period[{p}]"
            start = end = target = actual = None
            for child in period:
                tag = child.tag
                if tag == "period-start":
                    start = chk.date(child.get("iso-date"), "%s/period-start/@iso-date", pwhere)
                elif tag == "period-end":
                    end = chk.date(child.get("iso-date"), "%s/period-end/@iso-date", pwhere)
                elif tag == "target" and target is None:
                    target = chk.decimal(child.get("value"), "%s/target/@value", pwhere, _RESULT)
                elif tag == "actual" and actual is None:
                    actual = chk.decimal(child.get("value"), "%s/actual/@value", pwhere, _RESULT)
            out.append(
                (*head[:1], f"{chk.xpath}/{pwhere}", *head[2:],
                 baseline_year, baseline_value, start, end, target, actual)
            )
