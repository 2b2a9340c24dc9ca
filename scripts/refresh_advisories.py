"""Write `data/security/advisories.json`: the PyPA advisories that concern our locked packages.

The dependency audit (scripts/audit.py) runs offline: it reads this file, never a web
service. This script makes the file from the Python Packaging Advisory Database (OSV
records in YAML, `vulns/<package>/PYSEC-*.yaml`; CC-BY 4.0), read from either

- a git copy, bare or not (the whole database at one commit):

      git clone https://github.com/pypa/advisory-database /tmp/advisory-database
      make refresh-advisories ADVISORY_DB=/tmp/advisory-database

- or a plain folder of collected files, `vulns/<package>/<file>.yaml` beside a
  `COLLECTION.json` manifest (docs/security.md, 'Dependency audit'): where each file came
  from (repository, commit, sha256), when and how it was collected, the licence, and the
  package names whose folder was looked up. Only those names are known: the header says
  so (`database_scope`) and the audit then fails a locked package nobody looked up.

It keeps every advisory naming a package that uv.lock names (every range, not only the
ranges that hit today's versions, so the file stays right when a version moves), with the
fields the audit needs, plus the names of all the packages the records read have any
advisory for: the audit can then tell a package added to the lock since the refresh that
has no advisory at all (nothing to check) from one whose advisories are missing here
(refresh). The header records the repository, commit(s), date and licence. PyYAML is only
needed here (dagster locks it); the audit itself needs no YAML.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dependency_audit import affects, canonical  # noqa: E402  one reading of a range, shared with the audit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "security" / "advisories.json"
FORMAT = "solidarity-impact/advisories/1"
SUMMARY_CHARS = 200
REFRESH = ("make refresh-advisories ADVISORY_DB=<git copy of https://github.com/pypa/advisory-database,"
           " or a folder of collected files with its COLLECTION.json> (docs/security.md, 'Dependency audit')")
MANIFEST = "COLLECTION.json"
STAGING = re.compile(r"PYSEC-0000-")  # a record not yet given its id: the same advisory may also be there under it
LICENCE_NOTICE = ("Advisory records from the Python Packaging Advisory Database "
                  "(https://github.com/pypa/advisory-database), licensed CC-BY 4.0 "
                  "(https://creativecommons.org/licenses/by/4.0/); filtered to this project's "
                  "locked packages and cut to the fields the audit reads (summary shortened, "
                  "GIT ranges and references other than the advisory's own dropped).")


def locked_names(lock: Path) -> set[str]:
    with lock.open("rb") as fh:
        return {canonical(p["name"]) for p in tomllib.load(fh)["package"]}


def registry_names(lock: Path) -> set[str]:
    """The locked names that come from a package index (the project itself does not)."""
    with lock.open("rb") as fh:
        return {canonical(p["name"]) for p in tomllib.load(fh)["package"] if "registry" in p.get("source", {})}


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
    for _, path in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        body = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1  # the body is followed by one newline
        yield path, parse(body)


def parse(text: bytes | str) -> dict:
    # every scalar as written: an unquoted version such as 1.10 must not become the float 1.1
    return osv_1(yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader)))


def osv_1(record: dict) -> dict:
    """A record in the database's first layout (`package:` + `affects:`, 2021) in the OSV 1.x one.

    `affects.ranges` holds {type, introduced?, fixed?} per range: those become `events`; a range
    without `introduced` starts at "0"; `affects.versions` becomes the entry's `versions`."""
    if "affected" in record or "package" not in record:
        return record
    affects = record.get("affects") or {}
    ranges = []
    for r in affects.get("ranges") or []:
        events = [{"introduced": r.get("introduced", "0")}]
        events += [{k: r[k]} for k in ("fixed", "last_affected") if r.get(k)]
        ranges.append({"type": r.get("type"), "events": events})
    out = {k: v for k, v in record.items() if k not in ("package", "affects")}
    out["affected"] = [{"package": record["package"], "ranges": ranges, "versions": affects.get("versions") or []}]
    return out


def is_git(repo: Path) -> bool:
    return (repo / ".git").exists() or ((repo / "HEAD").is_file() and (repo / "objects").is_dir())


def collected(folder: Path) -> tuple[dict, Iterator[tuple[str, dict]]]:
    """The manifest of a folder of collected files, and (path, parsed YAML) of each file it lists.

    Every `vulns/**.yaml` must be in the manifest with its sha256, and every file listed must be
    there: what is read is exactly what was collected."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        sys.exit(f"{folder}: neither a git copy nor a folder of collected files with its {MANIFEST}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    present = sorted(p.relative_to(folder).as_posix() for p in (folder / "vulns").rglob("*")
                     if p.suffix in (".yaml", ".yml"))
    if set(present) != set(listed):
        sys.exit(f"{folder}: files and {MANIFEST} disagree: not listed {sorted(set(present) - set(listed))[:5]}, "
                 f"missing {sorted(set(listed) - set(present))[:5]}")

    def read() -> Iterator[tuple[str, dict]]:
        for path in present:
            body = (folder / path).read_bytes()
            if hashlib.sha256(body).hexdigest() != listed[path]["sha256"]:
                sys.exit(f"{folder / path}: not the text collected (sha256 differs from {MANIFEST})")
            yield path, parse(body)
    return manifest, read()


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
    return build_from_git(repo, lock, rev) if is_git(repo) else build_from_folder(repo, lock)


def select(records: Iterator[tuple[str, dict]], keep: set[str], skip_staging: bool = False) -> dict:
    """The kept advisories, the names with advisories, and counts, from (path, record) pairs."""
    every_package: set[str] = set()
    kept, withdrawn, files, staging = [], 0, 0, []
    live: list[tuple[str, dict, set[str]]] = []
    for path, record in records:
        files += 1
        names = {canonical((a.get("package") or {}).get("name", "")) for a in record.get("affected") or []
                 if (a.get("package") or {}).get("ecosystem") == "PyPI"}
        if record.get("withdrawn"):
            withdrawn += 1
            continue
        live.append((path, record, names))
    if skip_staging:
        # a collection mixes the repositories' history: a PYSEC-0000 file read may be one that has since
        # been given its id; it adds nothing when a record with an id names the same package and alias
        known = {(n, x) for path, r, names in live if not STAGING.search(path)
                 for n in names for x in (r.get("id"), *(r.get("aliases") or []))}
        kept_live = []
        for path, r, names in live:
            if STAGING.search(path) and all(any((n, x) in known for x in (r.get("id"), *(r.get("aliases") or [])))
                                            for n in names):
                staging.append(path)
            else:
                kept_live.append((path, r, names))
        live = kept_live
    for _, record, names in live:
        every_package |= names
        if names & keep:
            kept.append(trimmed(record, keep))
    kept.sort(key=lambda a: (a["affected"][0]["package"], a["id"]))
    # two live records of one package under one alias: the same advisory twice (in a collection, often
    # a file since removed upstream); both are kept, so a waiver by alias covers both
    by_alias: dict[tuple[str, str], list[str]] = {}
    for a in kept:
        for e in a["affected"]:
            for alias in a["aliases"]:
                by_alias.setdefault((e["package"], alias), []).append(a["id"])
    twins = sorted({" = ".join(sorted(set(ids))) for ids in by_alias.values() if len(set(ids)) > 1})
    return {"kept": kept, "every_package": every_package, "withdrawn": withdrawn, "files": files,
            "staging": sorted(staging), "twins": twins}


def build_from_git(repo: Path, lock: Path, rev: str = "HEAD") -> dict:
    keep = locked_names(lock)
    commit = git(repo, "rev-parse", rev).decode().strip()
    commit_date = git(repo, "show", "-s", "--format=%cI", commit).decode().strip()
    licence_head = git(repo, "show", f"{commit}:LICENSE").decode()[:200]
    if "Attribution 4.0 International" not in licence_head:
        sys.exit(f"{repo}: LICENSE at {commit} is not CC-BY 4.0 any more; read it before refreshing")
    got = select(records(repo, commit), keep)
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
        "database_records": got["files"],
        "withdrawn_records_skipped": got["withdrawn"],
        "lock_packages_at_refresh": sorted(keep),
        "database_packages": sorted(got["every_package"]),
        "advisories": got["kept"],
    }


def newest(records: list[tuple[str, dict]]) -> tuple[str, str]:
    """(path, UTC ISO date) of the record modified (or withdrawn) last."""
    def when(record: dict) -> datetime:
        stamps = [str(record.get(k)) for k in ("modified", "withdrawn", "published") if record.get(k)]
        return max(datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(timezone.utc) for t in stamps)
    path, record = max(records, key=lambda pr: when(pr[1]))
    return path, when(record).isoformat(timespec="seconds")


def build_from_folder(folder: Path, lock: Path) -> dict:
    """From collected files: the header says which repository, which commits, when, how, under what licence."""
    keep = locked_names(lock)
    manifest, read = collected(folder)
    if manifest.get("licence") != "CC-BY-4.0":
        sys.exit(f"{folder}: the collection's licence is {manifest.get('licence')!r}, not CC-BY-4.0; "
                 "read it before using the files")
    looked_up = {canonical(n) for n in manifest["packages_listed"]}
    unlisted = sorted(registry_names(lock) - looked_up)  # the audit fails these: nobody looked them up
    all_records = list(read)
    got = select(iter(all_records), keep, skip_staging=True)
    by_path = {f["path"]: f for f in manifest["files"]}
    newest_path, newest_date = newest(all_records)
    commits: dict[str, dict[str, int]] = {}
    for f in manifest["files"]:
        per_repo = commits.setdefault(f["repository"], {})
        per_repo[f["commit"]] = per_repo.get(f["commit"], 0) + 1
    return {
        "format": FORMAT,
        "source": {
            "database": "Python Packaging Advisory Database (PyPA), OSV records",
            "repository": manifest["repository"],
            "also_read": manifest.get("also_read", []),
            "upstream": manifest["upstream"],
            "commit": by_path[newest_path]["commit"],
            "commit_repository": by_path[newest_path]["repository"],
            "commit_date": newest_date,
            "commit_note": ("not one commit: the files were collected one by one, each at the commit the index "
                            "gave for it (`commits`). `commit` is the one of the newest record read "
                            f"({newest_path}) and `commit_date` that record's date, the newest the data can "
                            "be said to be; older versions of some files may have been read."),
            "commits": {repo: dict(sorted(c.items())) for repo, c in sorted(commits.items())},
            "collected_on": manifest["collected_on"],
            "method": manifest["method"],
            "licence": "CC-BY-4.0",
            "licence_evidence": manifest.get("licence_evidence", ""),
            "licence_notice": LICENCE_NOTICE,
            "known_gaps": manifest.get("known_gaps", []),
        },
        "generated_by": "scripts/refresh_advisories.py",
        "refresh": REFRESH,
        "database_scope": "packages-looked-up",
        "packages_looked_up": sorted(looked_up),
        "database_records": got["files"],
        "withdrawn_records_skipped": got["withdrawn"],
        "staging_records_skipped": got["staging"],
        "same_advisory_twice": got["twins"],
        "lock_packages_not_looked_up": unlisted,
        "lock_packages_at_refresh": sorted(keep),
        "database_packages": sorted(got["every_package"]),
        "advisories": got["kept"],
    }


def add_empty_lookups(doc: dict, names: list[str], how: str, lock: Path, today: str) -> dict:
    """The file `doc` with packages added to the lock since its refresh whose folders were
    looked up in the database and found empty (`how`: where and how; recorded in the header's
    `method`). Its records are left as they are: no file is read. A package the records read
    have an advisory for is refused (collect its files and refresh), and so is one the lock
    does not name."""
    wanted = {canonical(n) for n in names}
    locked = locked_names(lock)
    if not how.strip():
        sys.exit("--how: say where the folders were looked up and how")
    if wanted - locked:
        sys.exit(f"not in {lock.name}: {', '.join(sorted(wanted - locked))}")
    known = wanted & set(doc.get("database_packages", []))
    if known:
        sys.exit(f"the database has advisories for {', '.join(sorted(known))}: collect its files and refresh")
    if doc.get("database_scope") != "packages-looked-up":
        sys.exit("this file was made from a whole copy of the database: refresh it from one")
    doc = dict(doc)
    doc["source"] = {**doc["source"], "method": f"{doc['source']['method']} Added {today} for "
                     f"{', '.join(sorted(wanted))}: {how.strip()}"}
    doc["packages_looked_up"] = sorted(set(doc["packages_looked_up"]) | wanted)
    doc["lock_packages_at_refresh"] = sorted(set(doc["lock_packages_at_refresh"]) | wanted)
    doc["lock_packages_not_looked_up"] = sorted(registry_names(lock) - set(doc["packages_looked_up"]))
    return doc


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
    parser.add_argument("database", type=Path, help="git copy (bare or not) of pypa/advisory-database, "
                        f"or a folder of collected vulns/<package>/*.yaml with its {MANIFEST}")
    parser.add_argument("--rev", default="HEAD", help="commit to read (default HEAD; git copies only)")
    parser.add_argument("--source-url", help="repository URL to record, when the copy has no origin remote")
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--looked-up-empty", nargs="+", metavar="PACKAGE",
                        help="instead of a refresh: add to the file DATABASE (its advisories.json) these "
                        "packages, added to the lock since, whose folders were looked up and found empty")
    parser.add_argument("--how", default="", help="with --looked-up-empty: where and how they were looked up")
    args = parser.parse_args(argv)
    if args.looked_up_empty:
        doc = add_empty_lookups(json.loads(args.database.read_text(encoding="utf-8")), args.looked_up_empty,
                                args.how, args.lock, datetime.now(timezone.utc).date().isoformat())
    else:
        doc = build(args.database, args.lock, args.rev)
    if args.source_url:
        doc["source"]["repository"] = args.source_url
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc), encoding="utf-8")
    json.loads(args.out.read_text(encoding="utf-8"))  # the hand-joined JSON must parse
    if doc.get("lock_packages_not_looked_up"):
        print(f"warning: locked packages not looked up in the collection (the audit fails them): "
              f"{', '.join(doc['lock_packages_not_looked_up'])}", file=sys.stderr)
    covered = {a["package"] for adv in doc["advisories"] for a in adv["affected"]}
    print(f"{args.out}: {len(doc['advisories'])} advisories on {len(covered)} of "
          f"{len(doc['lock_packages_at_refresh'])} names in the lock; database "
          f"{doc['source']['repository']} at {doc['source']['commit'][:12]} "
          f"({doc['source']['commit_date']}), {doc['database_records']} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
