"""Offline dependency audit: every version locked in uv.lock against the PyPA advisories.

    make audit            # or: python scripts/dependency_audit.py [--lock uv.lock] ...

Reads three files and nothing from the network:
- `uv.lock`: every locked package (all groups, all platforms), by PEP 503 name and version;
- `data/security/advisories.json`: the PyPA advisory records that name a locked package,
  written by scripts/refresh_advisories.py from a git copy of the database or from
  advisory files collected one by one (with their manifest);
- `security/waivers.toml`: one reviewed, dated and expiring waiver per accepted advisory.

A locked version is affected by an advisory when an ECOSYSTEM range of it holds the
version (OSV events `introduced` / `fixed` / `last_affected`, compared as PEP 440 versions)
or when the advisory lists the version itself. Exit status: 0 when every finding has a
waiver in force; 1 when a finding has none (an expired waiver counts as none), or when a
locked package has advisories in the database that the advisory file lacks (added to the
lock since the last refresh; when the file was made from files collected package by
package, `database_scope` "packages-looked-up", any locked package nobody looked up);
2 when an input is missing or malformed. An advisory file
older than --max-age-days is a warning, not a failure: the data can only be as new as
the last refresh. Not covered: anything that is not a Python package in uv.lock
(Chromium, PostgreSQL and the rest of the Debian image), and advisories newer than the data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "uv.lock"
ADVISORIES = ROOT / "data" / "security" / "advisories.json"
WAIVERS = ROOT / "security" / "waivers.toml"
MAX_AGE_DAYS = 90
WAIVER_KEYS = {"advisory", "package", "reason", "reviewed", "expires"}


class AuditInputError(Exception):
    """An input file is missing or not what the audit expects (exit 2)."""


def canonical(name: str) -> str:
    """PEP 503 normalised name: runs of -, _ and . become one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def version_or_none(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Locked:
    name: str
    version: str


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed_in: str
    summary: str
    url: str | None


@dataclass(frozen=True)
class Waiver:
    advisory: str
    package: str
    reason: str
    reviewed: date
    expires: date

    def matches(self, finding: Finding) -> bool:
        return (canonical(self.package) == finding.package
                and self.advisory in (finding.advisory, *finding.aliases))


@dataclass
class Result:
    locked: list[Locked]
    not_from_registry: list[str]
    unwaived: list[Finding] = field(default_factory=list)
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)
    expired: list[tuple[Finding, Waiver]] = field(default_factory=list)
    unused_waivers: list[Waiver] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.unwaived or self.uncovered)


# --- the locked packages -------------------------------------------------------------

def read_lock(path: Path) -> tuple[list[Locked], list[str]]:
    """(registry packages with their locked versions, names of the others: the project itself, paths, git)."""
    try:
        with path.open("rb") as fh:
            packages = tomllib.load(fh)["package"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise AuditInputError(f"{path}: cannot read the lock file ({exc})") from exc
    locked, others = [], []
    for p in packages:
        if "registry" in p.get("source", {}) and "version" in p:
            locked.append(Locked(canonical(p["name"]), p["version"]))
        else:
            others.append(canonical(p["name"]))
    return sorted(set(locked), key=lambda x: (x.name, x.version)), sorted(others)


# --- OSV ranges --------------------------------------------------------------------------

def _event_key(event: dict) -> Version:
    (value,) = (v for k, v in event.items() if k in ("introduced", "fixed", "last_affected"))
    return Version("0") if value == "0" else Version(value)


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: the last event at or below the version decides."""
    affected = False
    events = [e for e in events if e.keys() & {"introduced", "fixed", "last_affected"}]  # `limit` is for GIT
    for event in sorted(events, key=_event_key):
        if "introduced" in event and (event["introduced"] == "0" or version >= Version(event["introduced"])):
            affected = True
        elif "fixed" in event and version >= Version(event["fixed"]):
            affected = False
        elif "last_affected" in event and version > Version(event["last_affected"]):
            affected = False
    return affected


def affects(entry: dict, version: str) -> bool:
    """Whether one `affected` entry of an advisory holds this version (ranges, then the explicit list)."""
    parsed = version_or_none(version)
    if parsed is not None:
        for r in entry.get("ranges", []):
            if r.get("type") in ("ECOSYSTEM", "SEMVER"):
                try:
                    if in_range(parsed, r.get("events", [])):
                        return True
                except InvalidVersion:
                    continue  # a bound that is not PEP 440 cannot be compared; the list below still counts
    listed = entry.get("versions", [])
    if version in listed:
        return True
    return parsed is not None and any(version_or_none(v) == parsed for v in listed)


def fixed_in(entry: dict, version: str) -> str:
    """The first fix above the locked version, as the advisory gives it."""
    parsed = version_or_none(version)
    fixes = sorted({Version(e["fixed"]) for r in entry.get("ranges", []) for e in r.get("events", [])
                    if "fixed" in e and version_or_none(e["fixed"]) is not None})
    above = [f for f in fixes if parsed is None or f > parsed]
    if above:
        return str(above[0])
    last = [e["last_affected"] for r in entry.get("ranges", []) for e in r.get("events", []) if "last_affected" in e]
    return f"none (last affected: {', '.join(last)})" if last else "no fix published"


def findings(locked: list[Locked], advisories: list[dict]) -> list[Finding]:
    by_package: dict[str, list[tuple[dict, dict]]] = {}
    for adv in advisories:
        for entry in adv["affected"]:
            by_package.setdefault(canonical(entry["package"]), []).append((adv, entry))
    out = []
    for pkg in locked:
        seen = set()
        for adv, entry in by_package.get(pkg.name, []):
            if adv["id"] not in seen and affects(entry, pkg.version):
                seen.add(adv["id"])
                out.append(Finding(pkg.name, pkg.version, adv["id"], tuple(adv.get("aliases", [])),
                                   fixed_in(entry, pkg.version), adv.get("summary", ""), adv.get("url")))
    return out


# --- inputs ------------------------------------------------------------------------------

def read_advisories(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditInputError(f"{path}: cannot read the advisory file ({exc}); "
                              "make it with `make refresh-advisories` (docs/security.md)") from exc
    if not str(doc.get("format", "")).startswith("solidarity-impact/advisories/"):
        raise AuditInputError(f"{path}: not an advisory file written by scripts/refresh_advisories.py")
    return doc


def read_waivers(path: Path) -> list[Waiver]:
    """Every waiver must say which advisory, which package, why, when reviewed and until when."""
    if not path.exists():
        return []
    try:
        with path.open("rb") as fh:
            entries = tomllib.load(fh).get("waiver", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuditInputError(f"{path}: cannot read the waivers ({exc})") from exc
    waivers = []
    for i, entry in enumerate(entries, 1):
        where = f"{path}: waiver {i}"
        if set(entry) != WAIVER_KEYS:
            raise AuditInputError(f"{where}: needs exactly the keys {sorted(WAIVER_KEYS)}, has {sorted(entry)}")
        for key in ("reviewed", "expires"):
            if type(entry[key]) is not date:
                raise AuditInputError(f"{where}: `{key}` must be a TOML date (YYYY-MM-DD, unquoted)")
        if not str(entry["reason"]).strip():
            raise AuditInputError(f"{where}: `reason` is empty")
        if entry["expires"] < entry["reviewed"]:
            raise AuditInputError(f"{where}: expires before it was reviewed")
        waivers.append(Waiver(**entry))
    return waivers


# --- the audit ---------------------------------------------------------------------------

def audit(lock: Path, advisories_doc: dict, waivers: list[Waiver], today: date) -> Result:
    locked, others = read_lock(lock)
    result = Result(locked, others)
    used = set()
    for finding in findings(locked, advisories_doc["advisories"]):
        matching = [w for w in waivers if w.matches(finding)]
        in_force = [w for w in matching if w.expires >= today]
        if in_force:
            result.waived.append((finding, in_force[0]))
            used.add(in_force[0])
        else:
            result.unwaived.append(finding)
            result.expired.extend((finding, w) for w in matching)
            used.update(matching)
    result.unused_waivers = [w for w in waivers if w not in used]
    at_refresh = set(advisories_doc.get("lock_packages_at_refresh", []))
    in_database = set(advisories_doc.get("database_packages", []))
    uncovered = {p.name for p in locked if p.name in in_database and p.name not in at_refresh}
    if advisories_doc.get("database_scope") == "packages-looked-up":
        # files collected one package at a time: a name nobody looked up may have advisories too
        looked_up = set(advisories_doc.get("packages_looked_up", []))
        uncovered |= {p.name for p in locked if p.name not in at_refresh or p.name not in looked_up}
    result.uncovered = sorted(uncovered)
    return result


def snapshot_age(doc: dict, today: date) -> tuple[date, int]:
    commit_date = datetime.fromisoformat(doc["source"]["commit_date"]).astimezone(timezone.utc).date()
    return commit_date, (today - commit_date).days


def describe(f: Finding) -> str:
    aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
    return (f"  {f.package} {f.version}: {f.advisory}{aliases}, fixed in {f.fixed_in}\n"
            f"      {f.summary}" + (f"\n      {f.url}" if f.url else ""))


def report(result: Result, doc: dict, today: date, max_age_days: int, lock: Path) -> str:
    src = doc["source"]
    commit_date, age = snapshot_age(doc, today)
    lines = [
        f"Dependency audit of {lock.name}: {len(result.locked)} locked package versions "
        f"against {len(doc['advisories'])} advisories",
        f"Advisory data: {src['database']}, {src['repository']} at {src['commit'][:12]} "
        f"of {commit_date} ({age} days old); licence {src['licence']}",
    ]
    if result.not_from_registry:
        lines.append(f"Not audited (not from a package index): {', '.join(result.not_from_registry)}")
    if age > max_age_days:
        lines.append(f"WARNING: the advisory data is {age} days old (limit {max_age_days}): advisories "
                     f"published since {commit_date} are not checked. Refresh: {doc.get('refresh', '')}")
    for w in result.unused_waivers:
        lines.append(f"WARNING: waiver for {w.advisory} on {w.package} matches no finding: remove it")
    if result.uncovered:
        scope = ("with advisories in the database, or not looked up in it, "
                 if doc.get("database_scope") == "packages-looked-up" else "with advisories in the database ")
        lines.append(f"FAIL: locked packages {scope}that the advisory file lacks "
                     f"(added to the lock since the refresh): {', '.join(result.uncovered)}; refresh the file")
    if result.waived:
        lines.append(f"\nWaived ({len(result.waived)}):")
        for f, w in result.waived:
            lines.append(describe(f) + f"\n      waiver reviewed {w.reviewed}, expires {w.expires}: {w.reason}")
    if result.unwaived:
        lines.append(f"\nFindings without a waiver in force ({len(result.unwaived)}):")
        for f in result.unwaived:
            lines.append(describe(f))
        for f, w in result.expired:
            lines.append(f"  (the waiver for {w.advisory} on {w.package} expired on {w.expires})")
    verdict = "FAIL" if result.failed else "OK"
    lines.append(f"\n{verdict}: {len(result.unwaived)} finding(s) without a waiver, {len(result.waived)} waived, "
                 f"{len(result.uncovered)} package(s) not covered")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--advisories", type=Path, default=ADVISORIES)
    parser.add_argument("--waivers", type=Path, default=WAIVERS)
    parser.add_argument("--max-age-days", type=int, default=MAX_AGE_DAYS)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (tests)")
    args = parser.parse_args(argv)
    today = args.today or datetime.now(timezone.utc).date()
    try:
        doc = read_advisories(args.advisories)
        result = audit(args.lock, doc, read_waivers(args.waivers), today)
    except AuditInputError as exc:
        print(f"dependency audit: {exc}", file=sys.stderr)
        return 2
    print(report(result, doc, today, args.max_age_days, args.lock))
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
