"""Check rows against a Frictionless Table Schema, so each rule is written once.

The schemas in `data/schemas/` are the published contract for the local-impact CSV
files (organisations, jobs, events). The readers load them and call
`validate_rows`, which casts each cell to the field's `type` and enforces its
`constraints` (required, pattern, minimum/maximum, enum, lengths) and the schema's
`primaryKey`. Rules a Table Schema cannot express (end before start, Luhn keys...)
stay in the readers.

Only the subset of the Table Schema spec these files use is implemented; an
unsupported field type raises at load time rather than passing silently.

Problem reasons start with a short code (`required:`, `pattern:`, `type:`,
`minimum:`, `enum:`, `primary_key:` ...) so the quarantine can be grouped by rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.sources.common import Problem
from pipelines.sources.local.seen_keys import SeenKeys

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "data" / "schemas"
PARIS = ZoneInfo("Europe/Paris")

SUPPORTED_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "year"}

_INTEGER = re.compile(r"^[+-]?\d+$")
_INT32_MAX = 2**31 - 1
# float() also accepts "nan", "inf" and "1_000": none of them is a Table Schema number.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}


@cache
def _load_schema_file(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_schema(name_or_path: str | Path) -> dict[str, Any]:
    """Load `data/schemas/{name}.schema.json` (or any schema path) as a dict.

    Raises ValueError if a field uses a type this validator does not implement.
    """
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = SCHEMA_DIR / f"{name_or_path}.schema.json"
    schema = json.loads(_load_schema_file(str(path)))
    for f in schema["fields"]:
        if f.get("type", "string") not in SUPPORTED_TYPES:
            raise ValueError(f"{path}: field {f['name']!r} has unsupported type {f.get('type')!r}")
    return schema


def field_names(schema: Mapping[str, Any]) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def required_fields(schema: Mapping[str, Any]) -> list[str]:
    return [f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")]


@dataclass
class CheckedRow:
    """One input row after casting: typed `values` (None where missing or invalid)."""

    source_row: int
    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def flags(self) -> list[str]:
        """Reason codes of the warnings, in order, without repeats."""
        codes = [p.reason.split(":", 1)[0] for p in self.problems if p.severity == "warning"]
        return list(dict.fromkeys(codes))


class _CastError(ValueError):
    pass


def _to_paris_naive(value: datetime) -> datetime:
    # Warehouse datetimes are naive Paris wall-clock times: what the agenda shows.
    if value.tzinfo is not None:
        return value.astimezone(PARIS).replace(tzinfo=None)
    return value


def cast_value(spec: Mapping[str, Any], raw: Any) -> tuple[Any, str | None]:
    """Cast one non-missing cell to the field's type: (value, warning code or None).

    Strings are parsed; values already typed (from an .ics file) are checked.
    Raises _CastError with a reason when the value is not of the type.
    """
    kind = spec.get("type", "string")
    decimal_char = spec.get("decimalChar", ".")
    if kind == "string":
        if not isinstance(raw, str):
            raise _CastError(f"type: expected text, got {type(raw).__name__}")
        return raw, None
    if kind in ("integer", "year"):
        if isinstance(raw, bool):
            raise _CastError("type: expected an integer")
        if isinstance(raw, int):
            return raw, None
        if isinstance(raw, str) and _INTEGER.match(raw):
            value = int(raw)
            # the warehouse holds counts as 32-bit integers: a larger one is a typo, not a count
            if abs(value) > _INT32_MAX:
                raise _CastError(f"type: integer out of range (more than {_INT32_MAX})")
            return value, None
        raise _CastError("type: expected an integer")
    if kind == "number":
        # A Table Schema number is decimal: read as Decimal from its text, so money stays exact
        # (a reader that wants a float, like jobs' FTE, converts it itself).
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            if isinstance(raw, int):
                return Decimal(raw), None
            if not math.isfinite(raw):
                raise _CastError("type: number too large")
            return Decimal(repr(raw)), None  # the float's shortest text, not its binary expansion
        if isinstance(raw, str):
            text = raw.replace(decimal_char, ".") if decimal_char != "." else raw
            if _NUMBER.match(text):
                if not math.isfinite(float(text)):
                    raise _CastError("type: number too large")
                return Decimal(text), None
            # French spreadsheets export "3,5"; with no other reading possible,
            # accept it but say so.
            if decimal_char == "." and _DECIMAL_COMMA.match(raw):
                return Decimal(raw.replace(",", ".")), "decimal_comma"
        raise _CastError(f"type: expected a number with {decimal_char!r} as decimal mark")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if raw in spec.get("trueValues", _TRUE):
            return True, None
        if raw in spec.get("falseValues", _FALSE):
            return False, None
        raise _CastError("type: expected a boolean")
    if kind == "date":
        if isinstance(raw, datetime):
            raise _CastError("type: expected a date, got a date and time")
        if isinstance(raw, date):
            return raw, None
        try:
            return date.fromisoformat(raw), None
        except (TypeError, ValueError):
            raise _CastError("type: expected an ISO 8601 date (YYYY-MM-DD)") from None
    if kind == "datetime":
        if isinstance(raw, datetime):
            return _to_paris_naive(raw), None
        try:
            # Python 3.11 reads ISO 8601 with 'T' or a space, with or without
            # seconds and offset ('Z' included).
            return _to_paris_naive(datetime.fromisoformat(raw)), None
        except (TypeError, ValueError):
            raise _CastError("type: expected an ISO 8601 date and time (YYYY-MM-DDTHH:MM:SS)") from None
    raise _CastError(f"type: unsupported type {kind!r}")  # load_schema refuses these


def _check_constraints(spec: Mapping[str, Any], value: Any, raw: Any) -> list[str]:
    c = spec.get("constraints", {})
    reasons: list[str] = []
    if "pattern" in c and isinstance(raw, str) and not re.fullmatch(c["pattern"], raw):
        reasons.append(f"pattern: does not match {c['pattern']}")
    if "enum" in c and value not in c["enum"]:
        reasons.append(f"enum: not one of {', '.join(map(str, c['enum']))}")
    if "minimum" in c and value < _bound(spec, c["minimum"]):
        reasons.append(f"minimum: below {c['minimum']}")
    if "maximum" in c and value > _bound(spec, c["maximum"]):
        reasons.append(f"maximum: above {c['maximum']}")
    if "exclusiveMinimum" in c and value <= _bound(spec, c["exclusiveMinimum"]):
        reasons.append(f"exclusiveMinimum: not above {c['exclusiveMinimum']}")
    if "exclusiveMaximum" in c and value >= _bound(spec, c["exclusiveMaximum"]):
        reasons.append(f"exclusiveMaximum: not below {c['exclusiveMaximum']}")
    if "minLength" in c and len(value) < c["minLength"]:
        reasons.append(f"minLength: shorter than {c['minLength']}")
    if "maxLength" in c and len(value) > c["maxLength"]:
        reasons.append(f"maxLength: longer than {c['maxLength']}")
    return reasons


def _bound(spec: Mapping[str, Any], bound: Any) -> Any:
    # Date/datetime bounds are written as ISO strings in the schema.
    if isinstance(bound, str):
        return cast_value(spec, bound)[0]
    return bound


def _shown(raw: Any) -> str | None:
    if raw is None:
        return None
    return raw if isinstance(raw, str) else str(raw)


def _problem_adder(row: CheckedRow, source_file: str, labels: Mapping[str, str]):
    def add(name: str, raw: Any, reason: str, severity: str = "error") -> None:
        row.problems.append(
            Problem(source_file, str(row.source_row), labels.get(name, name), _shown(raw), reason, severity)
        )

    return add


def validate_rows(
    schema: Mapping[str, Any],
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    source_file: str,
    *,
    labels: Mapping[str, str] | None = None,
    relax_required: Collection[str] = (),
) -> list[CheckedRow]:
    """Cast and check `(source_row, {field: raw value})` rows against `schema`.

    - A value in the schema's `missingValues` (default `[""]`) or None is missing.
    - Each failed type or constraint gives one `error` Problem naming the field
      (`labels` maps a field to the name the file uses, e.g. its CSV header).
    - `primaryKey`: a later row repeating an earlier valid key is an error.
    - `relax_required`: fields whose `required` constraint does not apply to this
      source (an .ics location that could not be resolved to a commune, say).
    Returns one CheckedRow per input row, in order.
    """
    return list(iter_validate_rows(schema, rows, source_file, labels=labels, relax_required=relax_required))


def iter_validate_rows(
    schema: Mapping[str, Any],
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    source_file: str,
    *,
    labels: Mapping[str, str] | None = None,
    relax_required: Collection[str] = (),
) -> Iterator[CheckedRow]:
    """`validate_rows`, one row at a time: each CheckedRow is yielded as soon as its row
    is read from `rows` (a streaming reader keeps only what it wants of each). The
    primary keys seen so far are the only state carried from row to row (`seen_keys`)."""
    labels = labels or {}
    missing_values = set(schema.get("missingValues", [""]))
    specs = schema["fields"]
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    # bounded however many rows the file has: spilled to disk past a few hundred thousand keys
    seen_keys = SeenKeys()
    try:
        yield from _checked(specs, key, seen_keys, missing_values, rows, source_file, labels, relax_required)
    finally:
        seen_keys.close()


def _checked(
    specs: list[Mapping[str, Any]],
    key: list[str],
    seen_keys: SeenKeys,
    missing_values: set[str],
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    source_file: str,
    labels: Mapping[str, str],
    relax_required: Collection[str],
) -> Iterator[CheckedRow]:
    for source_row, raw_row in rows:
        row = CheckedRow(source_row, {})
        problem = _problem_adder(row, source_file, labels)

        for spec in specs:
            name = spec["name"]
            raw = raw_row.get(name)
            if raw is None or (isinstance(raw, str) and raw in missing_values):
                row.values[name] = None
                if spec.get("constraints", {}).get("required") and name not in relax_required:
                    problem(name, raw, "required: value missing")
                continue
            try:
                value, warning = cast_value(spec, raw)
            except _CastError as error:
                row.values[name] = None
                problem(name, raw, str(error))
                continue
            if warning:
                problem(name, raw, f"{warning}: read as {value}", "warning")
            reasons = _check_constraints(spec, value, raw)
            for reason in reasons:
                problem(name, raw, reason)
            row.values[name] = None if reasons else value
        if key and all(row.values.get(k) is not None for k in key):
            key_value = tuple(row.values[k] for k in key)
            first = seen_keys.get(key_value)
            if first is not None:
                problem(
                    key[0],
                    "|".join(map(str, key_value)),
                    f"primary_key: duplicate of row at line {first}",
                )
            elif row.ok:
                seen_keys.add(key_value, source_row)
        yield row
