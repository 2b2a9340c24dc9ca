# cython: language_level=3, boundscheck=False, wraparound=False, annotation_typing=False
"""Turn one parsed `<iati-activity>` element into table rows and problems.

Element-local: `read_activity` walks the activity's children and appends each output
row's values, in the column order of `SCHEMAS`, to the current `Batch`'s columns.
The streaming loop in `activities.py` owns the file; this module owns the meaning of
IATI elements.

Why Cython: lxml parses in C, but reading an element from Python costs a proxy
object per child, a new string per `.tag` and a call per `.get()`; over the ~60
elements of an activity that made the reader ~3x slower than the parse itself.
Here the walk reads lxml's own C tree (libxml2's `xmlNode`, through the C API that
lxml publishes for this, `lxml.includes`): tags and attribute names are compared in
C and only the values that are kept become Python strings. The rules (checks,
codes, narratives, problems) are ordinary Python-level code compiled with it. The
helpers `_get`, `_text_raw` return exactly what lxml's `.get()` and `.text` return
(tests/test_iati_reader_compiled_walk.py compares them through `element_view` on every element of
the reference files and on generated edge cases: CDATA, entities, namespaces, PIs).
"""

from cpython.datetime cimport date_new, import_datetime
from cpython.ref cimport PyObject
from libc.math cimport isinf
from libc.string cimport strcmp, strlen
from lxml.includes cimport tree
from lxml.includes.tree cimport xmlAttr, xmlNode
from lxml.includes.etreepublic cimport _Document, _Element, elementFactory, import_lxml__etree

import math
import re
import threading
from datetime import date

from pipelines.sources.iati import codes as iati_codes
from pipelines.sources.iati.codes import ACTIVITY_DATE_TYPE_V2, ORG_ROLE_V2, TRANSACTION_TYPE_V2
from pipelines.sources.common import Problem
from pipelines.sources.contracts import IATI_TABLES

import_lxml__etree()
import_datetime()

cdef extern from "Python.h":
    # float()'s own conversion: locale-independent and correctly rounded
    double PyOS_string_to_double(const char* s, char** endptr, PyObject* overflow_exception) except? -1.0

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
cdef const char* _XML_NS = b"http://www.w3.org/XML/1998/namespace"

# the accepted tables' columns and types: the one contract (docs/data-contracts.md)
SCHEMAS = IATI_TABLES

# xsd:date, optionally with a time or a timezone, as publishers write it.
_DATE = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*)?(?:Z|[+-]\d{2}:?\d{2})?\s*")
# xsd:decimal: no thousands separators, no exponent, no NaN/inf.
_DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
cdef double _PERCENT_TOLERANCE = 0.01
_INF = math.inf
_fromisoformat = date.fromisoformat


class FileContext:
    """What every activity of one file shares."""

    def __init__(self, source_file, version, default_lang):
        self.source_file = source_file
        self.version = version
        self.default_lang = default_lang


class Batch:
    """The columns (table name -> one list per column, in `SCHEMAS` order) and the
    problems of the activities read so far.

    `read_activity` appends straight into it and takes an activity's values back out
    if the activity turns out to be rejected: no per-activity containers, and nothing
    to transpose when the batch becomes frames (keeping row tuples and transposing them
    once per batch, even in C, measured slower: docs/benchmarks.md).
    """

    def __init__(self):
        self.columns = {name: [[] for _ in schema] for name, schema in SCHEMAS.items()}
        self.problems = []


cdef inline int _put(list columns, tuple row) except -1:
    """Append one row to a table held as columns."""
    cdef Py_ssize_t i
    for i in range(len(row)):
        (<list>columns[i]).append(row[i])
    return 0


cdef class Checker:
    """Parses values and records a Problem for each one that does not parse.

    Problems sit on the activity's XPath with the offending node's relative path
    in `field` (`transaction[2]/value`), so that `ReadResult.rows_rejected`
    (distinct erroneous source_row) counts rejected activities, the unit read.
    One checker serves a whole file; `start` points it at the next activity.
    """

    cdef public object ctx, source_file, problems, xpath
    cdef public int errors

    def __init__(self, ctx, problems):
        self.ctx = ctx
        self.source_file = ctx.source_file
        self.problems = problems
        self.xpath = ""
        self.errors = 0

    cdef void start(self, xpath, problems):
        self.xpath = xpath
        self.problems = problems
        self.errors = 0

    cdef void problem(self, where, value, reason, severity="error"):
        if severity == "error":
            self.errors += 1
        self.problems.append(Problem(self.source_file, self.xpath, where, value, reason, severity))

    # `where` is a %-template completed with `at` only when there is a problem to
    # report: the common, valid value costs no string building.
    cdef object date(self, raw, where, at):
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

    cdef object decimal(self, raw, where, at, severity="error"):
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

    cdef object integer(self, raw, where, at, severity="error"):
        if raw is None or not raw.strip():
            return None
        try:
            return int(raw.strip())
        except ValueError:
            self.problem(where % at, raw, "not an integer", severity)
            return None


# --- lxml's C tree, read as lxml's Python API would read it -------------------------------

# The document being read, for the one case where lxml itself must assemble a value
# (an attribute made of several nodes: only entity references do that, and they need a
# DTD, which the reader refuses, so in practice never). Set by `read_activity`, per
# thread: two threads reading two files in one process must not see each other's.
_reading = threading.local()


cdef inline bint _no_ns(xmlNode* n) noexcept:
    return n.ns is NULL or n.ns.href is NULL


cdef inline bint _named(xmlNode* n, const char* tag) noexcept:
    """`n.tag == tag` for an element in no namespace (comments and PIs never match)."""
    return n.type == tree.XML_ELEMENT_NODE and _no_ns(n) and strcmp(<const char*>n.name, tag) == 0


cdef inline xmlNode* _next(xmlNode* n, const char* tag) noexcept:
    """`n` or its first following sibling named `tag`, or NULL."""
    while n is not NULL and not _named(n, tag):
        n = n.next
    return n


cdef inline object _str(const char* s):
    return s.decode("utf-8") if s is not NULL else ""


# Attribute values of one or two ASCII characters (most IATI codes: "3", "10", "MG",
# "fr") are made once and shared: strings are immutable, so only the allocation is saved.
cdef list _SHORT = [None] * (128 + 128 * 128)


cdef inline object _attr_str(const char* s):
    cdef unsigned char c0 = <unsigned char>s[0], c1
    cdef Py_ssize_t key
    if c0 == 0 or c0 >= 128:
        return _str(s)
    c1 = <unsigned char>s[1]
    if c1 == 0:
        key = c0
    elif c1 < 128 and s[2] == 0:
        key = 128 + c0 * 128 + c1
    else:
        return _str(s)
    value = _SHORT[key]
    if value is None:
        value = _SHORT[key] = _str(s)
    return value


cdef object _get(xmlNode* n, const char* name, bint xml_ns=False):
    """`el.get(name)` (no-namespace attribute), or `el.get(XML_LANG)` with xml_ns."""
    cdef xmlAttr* a = n.properties
    cdef xmlNode* c
    while a is not NULL:
        if strcmp(<const char*>a.name, name) == 0 and (
            (xml_ns and a.ns is not NULL and a.ns.href is not NULL
             and strcmp(<const char*>a.ns.href, _XML_NS) == 0)
            or (not xml_ns and a.ns is NULL)
        ):
            c = a.children
            if c is NULL:
                return ""
            if c.next is NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
                return _attr_str(<const char*>c.content) if c.content is not NULL else ""
            key = _str(name)
            return elementFactory(<_Document>_reading.doc, n).get(XML_LANG if xml_ns else key)
        a = a.next
    return None


def element_view(_Element el, names):
    """What the walk reads of one element, as lxml would give it: (tag if the element
    is in no namespace else None, `.text`, [`.get(name)` for name in names],
    `.get(XML_LANG)`). Only for tests/test_iati_reader_compiled_walk.py, which checks that it equals
    lxml's own answers on every element of the reference files."""
    cdef xmlNode* n = el._c_node
    _reading.doc = el._doc
    try:
        tag = _str(<const char*>n.name) if n.type == tree.XML_ELEMENT_NODE and _no_ns(n) else None
        return tag, _text_raw(n), [_get(n, name.encode()) for name in names], _get(n, b"lang", True)
    finally:
        _reading.doc = None


cdef inline xmlNode* _text_node(xmlNode* c) noexcept:
    """`c` if it is text, skipping XInclude markers, as lxml collects `.text`."""
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            return c
        if c.type != tree.XML_XINCLUDE_START and c.type != tree.XML_XINCLUDE_END:
            return NULL
        c = c.next
    return NULL


cdef object _text_raw(xmlNode* n):
    """`el.text`: the text nodes before the first child element, or None."""
    cdef xmlNode* first = _text_node(n.children)
    cdef xmlNode* c
    if first is NULL:
        return None
    c = _text_node(first.next)
    if c is NULL:
        return _str(<const char*>first.content)
    parts = []
    c = first
    while c is not NULL:
        parts.append(<bytes>(<const char*>c.content))
        c = _text_node(c.next)
    return b"".join(parts).decode("utf-8")


cdef object _text(xmlNode* n):
    """The element's text, stripped; None when absent or blank."""
    if n is NULL:
        return None
    text = _text_raw(n)
    if text is None:
        return None
    text = text.strip()
    return text or None


cdef object _attr(xmlNode* n, const char* name):
    """An attribute, stripped; None when absent or blank."""
    value = _get(n, name)
    if value is None:
        return None
    return value.strip() or None


# --- fast paths: the common plain value read without making a Python string --------------
# Each takes only values that the Checker would accept, giving the same result
# (tests/test_iati_reader_compiled_walk.py checks that on generated values); anything else, and every
# problem, goes through the Checker as a Python string.

cdef const char* _raw_attr(xmlNode* n, const char* name) noexcept:
    """The bytes `el.get(name)` would decode, when held by one text node; else NULL."""
    cdef xmlAttr* a = n.properties
    cdef xmlNode* c
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, name) == 0:
            c = a.children
            if c is not NULL and c.next is NULL and c.type == tree.XML_TEXT_NODE:
                return <const char*>c.content
            return NULL
        a = a.next
    return NULL


cdef const char* _raw_text(xmlNode* n) noexcept:
    """The bytes `el.text` would decode, when held by one text node; else NULL."""
    cdef xmlNode* c = _text_node(n.children)
    if c is NULL or _text_node(c.next) is not NULL:
        return NULL
    return <const char*>c.content


cdef inline bint _plain_decimal(const char* s, double* out) noexcept:
    """ASCII digits with at most one dot (the Checker's own fast case), finite."""
    cdef const char* p = s
    cdef int dots = 0, digits = 0
    if s is NULL:
        return False
    while p[0] != 0:
        if p[0] == 46:  # "."
            dots += 1
            if dots > 1:
                return False
        elif 48 <= p[0] <= 57:
            digits += 1
        else:
            return False
        p += 1
    if digits == 0:
        return False
    out[0] = PyOS_string_to_double(s, NULL, NULL)
    return not isinf(out[0])


cdef inline int _digits(const char* s, int start, int end) noexcept:
    cdef int value = 0, i
    for i in range(start, end):
        if not 48 <= s[i] <= 57:
            return -1
        value = value * 10 + (s[i] - 48)
    return value


cdef object _plain_date(const char* s):
    """A real date written exactly YYYY-MM-DD, as date.fromisoformat reads it; else None."""
    cdef int year, month, day, last
    if s is NULL or strlen(s) != 10 or s[4] != 45 or s[7] != 45:  # "-"
        return None
    year, month, day = _digits(s, 0, 4), _digits(s, 5, 7), _digits(s, 8, 10)
    if year < 1 or month < 1 or month > 12 or day < 1:
        return None
    if month == 2:
        last = 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    else:
        last = 30 if month in (4, 6, 9, 11) else 31
    if day > last:
        return None
    return date_new(year, month, day)


cdef object _date_attr(xmlNode* n, const char* name, Checker chk, where, at):
    """`chk.date(el.get(name), where, at)`."""
    value = _plain_date(_raw_attr(n, name))
    if value is not None:
        return value
    return chk.date(_get(n, name), where, at)


cdef object _decimal_attr(xmlNode* n, const char* name, Checker chk, where, at, severity="error"):
    """`chk.decimal(el.get(name), where, at, severity)`."""
    cdef double value
    if _plain_decimal(_raw_attr(n, name), &value):
        return value
    return chk.decimal(_get(n, name), where, at, severity)


def plain_values(str text):
    """What the fast paths make of `text` (None: left to the Checker). For tests."""
    cdef double value
    raw = text.encode()
    return _plain_date(raw), (value if _plain_decimal(raw, &value) else None)


cdef bint _general(xmlNode* d) except -1:
    """Description type 1 (general) or untyped."""
    cdef xmlAttr* a = d.properties
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, b"type") == 0:
            return _get(d, b"type") == "1"
        a = a.next
    return True


# The activity's children that are read, found in one pass (the others, activity-scope,
# default-*..., are skipped): the first and last of each kind, so that each kind is then
# walked from its first to its last without scanning the rest again.
cdef enum:
    T_IDENTIFIER, T_REPORTING_ORG, T_STATUS, T_DATE, T_OTHER_ID, T_PARTICIPATING_ORG, T_COUNTRY, T_REGION
    T_SECTOR, T_TRANSACTION, T_BUDGET, T_RESULT, T_TITLE, T_DESCRIPTION, T_KINDS

cdef const char* _KIND_TAGS[T_KINDS]
_KIND_TAGS[:] = [b"iati-identifier", b"reporting-org", b"activity-status", b"activity-date", b"other-identifier",
                 b"participating-org", b"recipient-country", b"recipient-region", b"sector", b"transaction",
                 b"budget", b"result", b"title", b"description"]


cdef struct Children:
    xmlNode* first[T_KINDS]
    xmlNode* last[T_KINDS]


cdef void _group(xmlNode* act, Children* kids) noexcept:
    cdef xmlNode* c = act.children
    cdef int k
    cdef const char* name
    for k in range(T_KINDS):
        kids.first[k] = kids.last[k] = NULL
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and _no_ns(c):
            name = <const char*>c.name
            for k in range(T_KINDS):
                if _KIND_TAGS[k][0] == name[0] and strcmp(_KIND_TAGS[k], name) == 0:
                    if kids.first[k] is NULL:
                        kids.first[k] = c
                    kids.last[k] = c
                    break
        c = c.next


cdef inline xmlNode* _after(Children* kids, int kind, xmlNode* el) noexcept:
    """The next child of the same kind after `el`, or NULL."""
    return NULL if el == kids.last[kind] else _next(el.next, _KIND_TAGS[kind])


# --- the rules ----------------------------------------------------------------------------

cdef object _narrative(xmlNode* el, xmlNode* last, const char* tag, default_lang, bint general_only):
    """French text if any, else the default language's, else the first non-empty.

    Reads `el` alone (tag NULL) or `el` and its following siblings named `tag`, up
    to `last` if given (with `general_only`, only general descriptions). 2.0x wraps text in
    `<narrative xml:lang=..>` children; 1.0x puts it in the element itself (possibly
    repeated per language). Both are handled.
    """
    cdef xmlNode* node
    cdef bint found_narrative
    default = (default_lang or "")[:2].lower() or None
    first = in_default = None
    while el is not NULL:
        if general_only and not _general(el):
            el = NULL if tag is NULL or el == last else _next(el.next, tag)
            continue
        el_lang = _get(el, b"lang", True)
        found_narrative = False
        node = el.children
        while node is not NULL:
            if _named(node, b"narrative"):
                found_narrative = True
                text = _text_raw(node)
                if text is not None and (text := text.strip()):
                    lang = (_get(node, b"lang", True) or el_lang or default_lang or "")[:2].lower() or None
                    if lang == "fr":
                        return text
                    if first is None:
                        first = text
                    if in_default is None and lang == default:
                        in_default = text
            node = node.next
        if not found_narrative:
            text = _text(el)
            if text is not None:
                lang = (el_lang or default_lang or "")[:2].lower() or None
                if lang == "fr":
                    return text
                if first is None:
                    first = text
                if in_default is None and lang == default:
                    in_default = text
        el = NULL if tag is NULL or el == last else _next(el.next, tag)
    return in_default if in_default is not None else first


cdef void _percent_sums(Checker chk, dict groups, where, what):
    """Warn (row kept) when stated percentages of a group do not add up to 100."""
    cdef double total
    cdef Py_ssize_t stated
    for key, percents in groups.items():
        total, stated = 0.0, 0
        for pct in percents:
            if pct is not None:
                total += <double>pct
                stated += 1
        if stated == 0:
            continue  # no percentages at all: IATI reads a single entry as 100%
        if abs(total - 100.0) > _PERCENT_TOLERANCE or stated != len(percents):
            label = f"{what} {key}".strip()
            chk.problem(
                where,
                f"{total:g}",
                f"percent_sum: {label} percentages sum to {total:g} over "
                f"{stated} of {len(percents)} entries, not 100",
                "warning",
            )


def read_activity(_Element act, str xpath, Checker chk, batch):
    """Append one activity's rows to `batch` and its problems to `batch.problems`.

    Returns False (and leaves no row in `batch`) when the activity is rejected.
    """
    _reading.doc = act._doc
    try:
        return _read_activity(act._c_node, xpath, chk, batch.columns, batch.problems)
    finally:
        _reading.doc = None


cdef bint _read_activity(xmlNode* act, str xpath, Checker chk, dict rows, list problems) except -1:
    cdef xmlNode* el
    cdef int n
    cdef Children kids
    chk.start(xpath, problems)
    ctx = chk.ctx
    source_file = ctx.source_file
    lang = _get(act, b"lang", True) or ctx.default_lang
    default_currency = _attr(act, b"default-currency")
    _group(act, &kids)

    identifier = None
    el = kids.first[T_IDENTIFIER]
    while el is not NULL:
        identifier = _text(el)
        el = _after(&kids, T_IDENTIFIER, el)
    reporting_ref = reporting_name = reporting_type = status = grant_reference = None
    el = kids.first[T_REPORTING_ORG]
    while el is not NULL:
        reporting_ref = _attr(el, b"ref")
        reporting_name = _narrative(el, el, NULL, lang, False)
        reporting_type = _attr(el, b"type")  # IATI OrganisationType: who funds, for the context layer
        el = _after(&kids, T_REPORTING_ORG, el)
    el = kids.first[T_STATUS]
    while el is not NULL:
        status = _get(el, b"code")
        el = _after(&kids, T_STATUS, el)
    start_planned = start_actual = end_planned = end_actual = None
    n = 0
    el = kids.first[T_DATE]
    while el is not NULL:
        n += 1
        kind = _get(el, b"type")
        if kind not in ACTIVITY_DATE_TYPE_V2:  # 2.0x codes as they are, else translated
            kind = iati_codes.activity_date_type(kind)
        if kind is not None:
            when = _date_attr(el, b"iso-date", chk, "activity-date[%s]/@iso-date", n)
            if kind == "1":
                start_planned = when
            elif kind == "2":
                start_actual = when
            elif kind == "3":
                end_planned = when
            else:
                end_actual = when
        el = _after(&kids, T_DATE, el)
    el = kids.first[T_OTHER_ID]
    while el is not NULL:
        if _get(el, b"type") == "A1":
            grant_reference = _attr(el, b"ref")
            break
        el = _after(&kids, T_OTHER_ID, el)
    if identifier is None:
        chk.problem("iati-identifier", None, "missing or empty iati-identifier")
        return False  # nothing else can be joined to an activity without its id

    # Where this activity's rows start in each table, to take them back on rejection.
    marks = [(columns, len(<list>columns[0])) for columns in rows.values()]
    general_only = False
    el = kids.first[T_DESCRIPTION]
    while el is not NULL:
        if _general(el):
            general_only = True
            break
        el = _after(&kids, T_DESCRIPTION, el)
    _put(
        rows["activities"],
        (
            source_file, xpath, identifier,
            ctx.version,
            reporting_ref,
            reporting_name,
            reporting_type,
            _narrative(kids.first[T_TITLE], kids.last[T_TITLE], b"title", lang, False),
            _narrative(kids.first[T_DESCRIPTION], kids.last[T_DESCRIPTION], b"description", lang, general_only),
            status,
            default_currency,
            start_actual or start_planned,  # actual beats planned
            end_actual or end_planned,
            grant_reference,
            _get(act, b"hierarchy"),
        )
    )
    out = rows["participating_orgs"]
    n = 0
    el = kids.first[T_PARTICIPATING_ORG]
    while el is not NULL:
        n += 1
        raw_role = _get(el, b"role")
        role = raw_role if raw_role in ORG_ROLE_V2 else iati_codes.org_role(raw_role)
        if role is None:
            chk.problem(f"participating-org[{n}]/@role", raw_role, "unknown or missing organisation role")
        _put(
            out,
            (source_file, f"{xpath}/participating-org[{n}]", identifier, role,
             _attr(el, b"ref"), _narrative(el, el, NULL, lang, False), _get(el, b"type"))
        )
        el = _after(&kids, T_PARTICIPATING_ORG, el)

    _locations(&kids, xpath, identifier, chk, rows["activity_locations"])
    _sectors(&kids, xpath, identifier, chk, rows["activity_sectors"])

    out = rows["transactions"]
    n = 0
    el = kids.first[T_TRANSACTION]
    while el is not NULL:
        n += 1
        _put(out, _transaction(el, n, identifier, default_currency, chk))
        el = _after(&kids, T_TRANSACTION, el)
    out = rows["budgets"]
    n = 0
    el = kids.first[T_BUDGET]
    while el is not NULL:
        n += 1
        _put(out, _budget(el, n, identifier, default_currency, chk))
        el = _after(&kids, T_BUDGET, el)
    out = rows["results"]
    n = 0
    el = kids.first[T_RESULT]
    while el is not NULL:
        n += 1
        _result_rows(el, n, identifier, lang, chk, out)
        el = _after(&kids, T_RESULT, el)

    if chk.errors:
        for columns, mark in marks:
            for column in columns:
                del column[mark:]
        return False
    return True


cdef void _locations(Children* kids, str xpath, identifier, Checker chk, list out):
    cdef xmlNode* el
    cdef int n, kind
    cdef bint is_country
    if kids.first[T_COUNTRY] is NULL and kids.first[T_REGION] is NULL:
        return
    percents = []
    for is_country in (True, False):
        kind = T_COUNTRY if is_country else T_REGION
        name = "recipient-country" if is_country else "recipient-region"
        n = 0
        el = kids.first[kind]
        while el is not NULL:
            n += 1
            where = f"{name}[{n}]"
            code = _attr(el, b"code")
            if code is None:
                chk.problem(f"{where}/@code", None, "missing code")
            pct = _decimal_attr(el, b"percentage", chk, "%s/@percentage", where)
            percents.append(pct)
            if is_country:
                place, vocabulary, code = "country", None, code and code.upper()
            else:
                place, vocabulary = "region", (_get(el, b"vocabulary") or "1").strip()
            _put(out, (chk.source_file, f"{xpath}/{where}", identifier, place, code, vocabulary, pct))
            el = _after(kids, kind, el)
    _percent_sums(chk, {"": percents}, "recipient-country|recipient-region/@percentage",
                  "recipient country and region")


cdef void _sectors(Children* kids, str xpath, identifier, Checker chk, list out):
    cdef xmlNode* el = kids.first[T_SECTOR]
    cdef int n = 0
    if el is NULL:
        return
    sector_percents = {}
    while el is not NULL:
        n += 1
        where = f"sector[{n}]"
        vocabulary = iati_codes.sector_vocabulary(_get(el, b"vocabulary"))
        code = _attr(el, b"code")
        if code is None:
            # 1.0x "RO" sectors were sometimes only a label: keep the row, flag it.
            chk.problem(f"{where}/@code", _text(el), "sector without code", "warning")
        pct = _decimal_attr(el, b"percentage", chk, "%s/@percentage", where)
        sector_percents.setdefault(vocabulary, []).append(pct)
        _put(out, (chk.source_file, f"{xpath}/{where}", identifier, vocabulary, code, pct))
        el = _after(kids, T_SECTOR, el)
    _percent_sums(chk, sector_percents, "sector/@percentage", "sector vocabulary")


cdef tuple _transaction(xmlNode* el, int n, identifier, default_currency, Checker chk):
    cdef xmlNode* child = el.children
    cdef xmlNode* value_el = NULL
    cdef xmlNode* date_el = NULL
    cdef const char* tag
    cdef double amount
    cdef int values = 0, types = 0
    type_code = None
    country = region = sector_vocab = sector_code = provider = receiver = None
    while child is not NULL:
        if child.type == tree.XML_ELEMENT_NODE and _no_ns(child):
            tag = <const char*>child.name
            if strcmp(tag, b"transaction-type") == 0:
                type_code = _get(child, b"code")
                types += 1
            elif strcmp(tag, b"transaction-date") == 0:
                date_el = child
            elif strcmp(tag, b"value") == 0:
                value_el = child
                values += 1
            elif strcmp(tag, b"provider-org") == 0:
                provider = (_get(child, b"provider-org-ref") or _get(child, b"ref") or "").strip() or None
            elif strcmp(tag, b"receiver-org") == 0:
                receiver = (_get(child, b"receiver-org-ref") or _get(child, b"ref") or "").strip() or None
            elif strcmp(tag, b"recipient-country") == 0 and country is None:
                country = (_get(child, b"code") or "").strip().upper() or None
            elif strcmp(tag, b"recipient-region") == 0 and region is None:
                region = _attr(child, b"code")
            elif strcmp(tag, b"sector") == 0 and sector_code is None:
                sector_vocab = iati_codes.sector_vocabulary(_get(child, b"vocabulary"))
                sector_code = _attr(child, b"code")
        child = child.next

    # Two values or two types in one transaction (two transactions pasted into one, seen in
    # a real 2013 file): which amount is meant cannot be known, so nothing is guessed.
    if values > 1:
        chk.problem(f"transaction[{n}]/value", None, f"{values} <value> in one transaction: which one is meant is unknown")
    if types > 1:
        chk.problem(f"transaction[{n}]/transaction-type", None,
                    f"{types} <transaction-type> in one transaction: which one is meant is unknown")
    ttype = type_code if type_code in TRANSACTION_TYPE_V2 else iati_codes.transaction_type(type_code)
    if ttype is None:
        chk.problem(f"transaction[{n}]/transaction-type/@code", type_code, "unknown or missing transaction type")
    tdate = None if date_el is NULL else _plain_date(_raw_attr(date_el, b"iso-date"))
    if tdate is None:
        date_raw = None if date_el is NULL else _get(date_el, b"iso-date")
        if date_raw is None or not date_raw.strip():
            chk.problem(f"transaction[{n}]/transaction-date/@iso-date", None, "missing transaction date")
        else:
            tdate = chk.date(date_raw, "transaction[%s]/transaction-date/@iso-date", n)
    value = currency = value_date = None
    if value_el is not NULL and _plain_decimal(_raw_text(value_el), &amount):
        value = amount
    elif value_el is NULL or _text(value_el) is None:
        chk.problem(f"transaction[{n}]/value", None, "missing value")
    else:
        value = chk.decimal(_text_raw(value_el), "transaction[%s]/value", n)
    if value_el is not NULL and (value is not None or _text(value_el) is not None):
        value_date = _date_attr(value_el, b"value-date", chk, "transaction[%s]/value/@value-date", n)
        currency = _attr(value_el, b"currency") or default_currency
    if value_el is not NULL and currency is None:
        chk.problem(f"transaction[{n}]/value/@currency", None, "no currency and no activity default-currency")
    return (
        chk.source_file, f"{chk.xpath}/transaction[{n}]", identifier, n, ttype, tdate, value,
        currency, value_date or tdate, country, region, sector_vocab, sector_code, provider, receiver,
    )


cdef tuple _budget(xmlNode* el, int n, identifier, default_currency, Checker chk):
    cdef xmlNode* child = el.children
    cdef xmlNode* value_el = NULL
    cdef double amount
    start = end = value = currency = value_date = None
    while child is not NULL:
        if _named(child, b"period-start"):
            start = _date_attr(child, b"iso-date", chk, "budget[%s]/period-start/@iso-date", n)
        elif _named(child, b"period-end"):
            end = _date_attr(child, b"iso-date", chk, "budget[%s]/period-end/@iso-date", n)
        elif _named(child, b"value"):
            value_el = child
        child = child.next
    if value_el is not NULL and _plain_decimal(_raw_text(value_el), &amount):
        value = amount
    elif value_el is not NULL and _text(value_el) is not None:
        value = chk.decimal(_text_raw(value_el), "budget[%s]/value", n)
    if value_el is NULL or (value is None and _text(value_el) is None):
        chk.problem(f"budget[{n}]/value", None, "missing value")
    else:
        value_date = _date_attr(value_el, b"value-date", chk, "budget[%s]/value/@value-date", n)
        currency = _attr(value_el, b"currency") or default_currency
        if currency is None:
            chk.problem(f"budget[{n}]/value/@currency", None, "no currency and no activity default-currency")
    return (
        chk.source_file, f"{chk.xpath}/budget[{n}]", identifier,
        iati_codes.budget_type(_get(el, b"type")), _get(el, b"status"),
        start, end, value, currency, value_date or start,
    )


cdef bint _ascending(raw):
    # IATI default is ascending; "0"/"false" mean lower is better.
    return (raw or "1").strip().lower() not in ("0", "false")


# Indicator figures were free text in 1.0x ("20,000") and are often qualitative:
# an unreadable one is flagged and left null, it does not cost the activity's money.
_RESULT = "warning"


cdef void _result_rows(xmlNode* el, int n, identifier, lang, Checker chk, list out):
    """One row per indicator period; an indicator without periods gives one row."""
    cdef xmlNode* ind
    cdef xmlNode* child
    cdef xmlNode* period
    cdef int i = 0, p
    where = f"result[{n}]"
    result_title = _narrative(_next(el.children, b"title"), NULL, b"title", lang, False)
    result_type = iati_codes.result_type(_get(el, b"type"))
    ind = _next(el.children, b"indicator")
    while ind is not NULL:
        i += 1
        iwhere = f"{where}/indicator[{i}]"
        row_path = f"{chk.xpath}/{iwhere}"
        head = (
            chk.source_file, row_path, identifier, n, result_type, result_title, i,
            _narrative(_next(ind.children, b"title"), NULL, b"title", lang, False),
            _get(ind, b"measure"), _ascending(_get(ind, b"ascending")),
        )
        baseline_year = baseline_value = None
        has_periods = False
        child = ind.children
        while child is not NULL:
            if _named(child, b"baseline") and baseline_year is None and baseline_value is None:
                baseline_year = chk.integer(_get(child, b"year"), "%s/baseline/@year", iwhere, _RESULT)
                baseline_value = _decimal_attr(child, b"value", chk, "%s/baseline/@value", iwhere, _RESULT)
            elif _named(child, b"period"):
                has_periods = True
            child = child.next
        if not has_periods:
            _put(out, (*head, baseline_year, baseline_value, None, None, None, None))
        p = 0
        period = _next(ind.children, b"period")
        while period is not NULL:
            p += 1
            pwhere = f"{iwhere}/period[{p}]"
            start = end = target = actual = None
            child = period.children
            while child is not NULL:
                if _named(child, b"period-start"):
                    start = _date_attr(child, b"iso-date", chk, "%s/period-start/@iso-date", pwhere)
                elif _named(child, b"period-end"):
                    end = _date_attr(child, b"iso-date", chk, "%s/period-end/@iso-date", pwhere)
                elif _named(child, b"target") and target is None:
                    target = _decimal_attr(child, b"value", chk, "%s/target/@value", pwhere, _RESULT)
                elif _named(child, b"actual") and actual is None:
                    actual = _decimal_attr(child, b"value", chk, "%s/actual/@value", pwhere, _RESULT)
                child = child.next
            _put(
            out,
                (*head[:1], f"{chk.xpath}/{pwhere}", *head[2:],
                 baseline_year, baseline_value, start, end, target, actual)
            )
            period = _next(period.next, b"period")
        ind = _next(ind.next, b"indicator")
