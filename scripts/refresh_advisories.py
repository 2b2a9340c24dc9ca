"""Write `data/security/advisories.json`: the PyPA advisories that concern our locked packages.

The dependency audit (scripts/audit.py) runs offline: it reads this file, never a web
service. This script makes the file from a git copy of the Python Packaging Advisory
Database (OSV records in YAML, `vulns/<package>/PYSEC-*.yaml`; CC-BY 4.0), bare or not:

    git clone https://github.com/pypa/advisory-database /tmp/advisory-database
    make refresh-advisories ADVISORY_DB=/tmp/advisory-database

It keeps every advisory naming a package that uv.lock names (every range, not only the
ranges that hit today's versions, so the file stays right when a version moves), with the
fields the audit needs, plus the names of all the packages the database has any advisory
for: the audit can then tell a package added to the lock since the refresh that has no
advisory at all (nothing to check) from one whose advisories are missing here (refresh).
The header records the repository, commit, commit date and licence. PyYAML is only needed
here (dagster locks it); the audit itself needs no YAML.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dependency_audit import affects, canonical  # noqa: E402  one reading of a range, shared with the audit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "security" / "advisories.json"
FORMAT = "solidarity-impact/advisories/1"
SUMMARY_CHARS = 200
REFRESH = ("make refresh-advisories ADVISORY_DB=<git copy of https://github.com/pypa/advisory-database>"
           " (docs/security.md, 'Dependency audit')")
LICENCE_NOTICE = ("Advisory records from the Python Packaging Advisory Database "
                  "(https://github.com/pypa/advisory-database), licensed CC-BY 4.0 "
                  "(https://creativecommons.org/licenses/by/4.0/); filtered to this project's "
                  "locked packages and cut to the fields the audit reads (summary shortened, "
                  "GIT ranges and references other than the advisory's own dropped).")


def locked_names(lock: Path) -> set[str]:
    with lock.open("rb") as fh:
        return {canonical(p["name"]) for p in tomllib.load(fh)["package"]}


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir(repo)}", *args], input=data,
                          capture_output=True, check=True).stdout


def git_dir(repo: Path) -> Path:
    dot_git = repo / ".git"
    return dot_git if dot_git.exists() else repo  # a working copy, or a bare repository


def records(repo: Path, rev: str) -> Iterator[tuple[str, dict]]:
    """(path, parsed YAML) of every `vulns/**.yaml` at `rev`, read from git objects in one batch."""
    listing = git(repo, "ls-tree", "-r", "-z", rev, "vulns/").split(b"\0")
    blobs = []
    for entry in filter(None, listing):
        meta, path = entry.split(b"\t", 1)
        if meta.split()[1] == b"blob" and path.endswith((b".yaml", b".yml")):
            blobs.append((meta.split()[2], path.decode()))
    out = git(repo, "cat-file", "--batch", data=b"".join(sha + b"\n" for sha, _ in blobs))
    pos = 0
    # every scalar as written: an unquoted version such as 1.10 must not become the float 1.1
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    for _, path in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        body = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1  # the body is followed by one newline
        yield path, yaml.load(body, Loader=loader)


def summary(record: dict) -> str:
    text = (record.get("summary") or record.get("details") or "").strip()
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


def advisory_url(record: dict) -> str | None:
    refs = record.get("references") or []
    for kind in ("ADVISORY", "WEB"):
        for ref in refs:
            if ref.get("type") == kind and ref.get("url"):
                return ref["url"]
    return None


def trimmed(record: dict, keep: set[str]) -> dict:
    """The record cut to what the audit reads, with only the affected entries of locked packages."""
    affected = []
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        name = canonical(package.get("name", ""))
        if package.get("ecosystem") != "PyPI" or name not in keep:
            continue
        ranges = [{"type": r["type"], "events": [dict(e) for e in r.get("events", [])]}
                  for r in entry.get("ranges") or [] if r.get("type") in ("ECOSYSTEM", "SEMVER")]
        # the explicit list only adds what the ranges do not already hold: same verdicts, a smaller file
        listed = [v for v in entry.get("versions") or [] if not affects({"ranges": ranges}, v)]
        affected.append({"package": name, "ranges": ranges, "versions": listed})
    return {"id": record["id"], "aliases": sorted(record.get("aliases") or []), "summary": summary(record),
           "published": record.get("published", ""), "modified": record.get("modified", ""),
            "url": advisory_url(record), "affected": affected}


def build(repo: Path, lock: Path, rev: str = "HEAD") -> dict:
    keep = locked_names(lock)
    commit = git(repo, "rev-parse", rev).decode().strip()
    commit_date = git(repo, "show", "-s", "--format=%cI", commit).decode().strip()
    licence_head = git(repo, "show", f"{commit}:LICENSE").decode()[:200]
    if "Attribution 4.0 International" not in licence_head:
        sys.exit(f"{repo}: LICENSE at {commit} is not CC-BY 4.0 any more; read it before refreshing")
    every_package: set[str] = set()
    kept, withdrawn, files = [], 0, 0
    for _, record in records(repo, commit):
        files += 1
        names = {canonical((a.get("package") or {}).get("name", "")) for a in record.get("affected") or []
                 if (a.get("package") or {}).get("ecosystem") == "PyPI"}
        if record.get("withdrawn"):
            withdrawn += 1
            continue
        every_package |= names
        if names & keep:
            kept.append(trimmed(record, keep))
    kept.sort(key=lambda a: (a["affected"][0]["package"], a["id"]))
    return {
        "format": FORMAT,
        "source": {
            "database": "Python Packaging Advisory Database (PyPA), OSV records",
            "repository": remote_url(repo),
            "upstream": "https://github.com/pypa/advisory-database",
            "commit": commit,
            "commit_date": commit_date,
            "licence": "CC-BY-4.0",
            "licence_notice": LICENCE_NOTICE,
        },
        "generated_by": "scripts/refresh_advisories.py",
        "refresh": REFRESH,
        "database_records": files,
        "withdrawn_records_skipped": withdrawn,
        "lock_packages_at_refresh": sorted(keep),
        "database_packages": sorted(every_package),
        "advisories": kept,
    }


def remote_url(repo: Path) -> str:
    try:
        return git(repo, "config", "--get", "remote.origin.url").decode().strip()
    except subprocess.CalledProcessError:
        return "https://github.com/pypa/advisory-database"


def dump(doc: dict) -> str:
    """JSON with one advisory a line: small, and a refresh reads as a short diff."""
    def compact(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    lines = []
    for key, value in doc.items():
        if key == "source":
            lines.append(f' "{key}": ' + json.dumps(value, indent=1, ensure_ascii=False).replace("\n", "\n "))
        elif key != "advisories":
            lines.append(f' "{key}": {compact(value)}')
    lines.append(' "advisories": [\n' + ",\n".join(compact(a) for a in doc["advisories"]) + "\n ]")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="git copy (bare or not) of pypa/advisory-database")
    parser.add_argument("--rev", default="HEAD", help="commit to read (default HEAD)")
    parser.add_argument("--source-url", help="repository URL to record, when the copy has no origin remote")
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.database, args.lock, args.rev)
    if args.source_url:
        doc["source"]["repository"] = args.source_url
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc), encoding="utf-8")
    json.loads(args.out.read_text(encoding="utf-8"))  # the hand-joined JSON must parse
    covered = {a["package"] for adv in doc["advisories"] for a in adv["affected"]}
    print(f"{args.out}: {len(doc['advisories'])} advisories on {len(covered)} of "
          f"{len(doc['lock_packages_at_refresh'])} names in the lock; database "
          f"{doc['source']['repository']} at {doc['source']['commit'][:12]} "
          f"({doc['source']['commit_date']}), {doc['database_records']} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
