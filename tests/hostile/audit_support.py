"""What the dependency audit's tests (tests/hostile/test_dependency_audit_*.py) share: the files the audit
reads, the audit run as a command, an evaluation of OSV ranges written without the audit's code, and the
real lock with some versions replaced. The advisory file itself is the session fixture `advisories`
of tests/hostile/conftest.py. No network: the audit reads only files.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.version import Version


PROJECT = Path(__file__).resolve().parents[2]
SCRIPTS = PROJECT / "scripts"
LOCK = PROJECT / "uv.lock"
ADVISORIES = PROJECT / "data" / "security" / "advisories.json"
WAIVERS = PROJECT / "security" / "waivers.toml"
OLD_JINJA2 = "2.10"  # a real jinja2 release (2017), under several advisories


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


audit_mod = load("dependency_audit")


def run_audit(*args: str, lock: Path = LOCK, waivers: Path = WAIVERS, today: str | None = None,
              advisories: Path = ADVISORIES) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(SCRIPTS / "dependency_audit.py"), "--lock", str(lock),
           "--advisories", str(advisories), "--waivers", str(waivers), *args]
    if today:
        cmd += ["--today", today]
    return subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=120)


# --- an evaluation of OSV ranges written without the audit's code --------------------------

def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def intervals(events: list[dict]) -> list[tuple[str, str | None, bool]]:
    """(low, high, high included) pairs: each `introduced` closed by the next fixed / last_affected."""
    def key(e: dict) -> Version:
        value = next(iter(e.values()))
        return Version("0") if value == "0" else Version(value)
    out, low = [], None
    for event in sorted(events, key=key):
        (kind, value), = event.items()
        if kind == "introduced" and low is None:
            low = value
        elif kind in ("fixed", "last_affected") and low is not None:
            out.append((low, value, kind == "last_affected"))
            low = None
    if low is not None:
        out.append((low, None, False))
    return out


def holds(version: str, entry: dict) -> bool:
    v = Version(version)
    if version in entry["versions"]:
        return True
    for r in entry["ranges"]:
        for low, high, included in intervals(r["events"]):
            above = low == "0" or v >= Version(low)
            below = high is None or (v <= Version(high) if included else v < Version(high))
            if above and below:
                return True
    return False


def locked_versions(lock: Path) -> set[tuple[str, str]]:
    with lock.open("rb") as fh:
        return {(pep503(p["name"]), p["version"]) for p in tomllib.load(fh)["package"]
                if "registry" in p["source"]}


def expected_findings(lock: Path, doc: dict) -> set[tuple[str, str, str]]:
    return {(name, version, adv["id"]) for name, version in locked_versions(lock)
            for adv in doc["advisories"] for entry in adv["affected"]
            if entry["package"] == name and holds(version, entry)}


def lock_with(version_of: dict[str, str], tmp_path: Path, extra: str = "") -> Path:
    """The real uv.lock with some packages' versions replaced (and optional extra [[package]] text)."""
    text = LOCK.read_text(encoding="utf-8")
    for name, version in version_of.items():
        text, n = re.subn(rf'(\[\[package\]\]\nname = "{re.escape(name)}"\nversion = )"[^"]*"',
                          rf'\g<1>"{version}"', text)
        assert n == 1, f"{name} is not locked once in uv.lock"
    out = tmp_path / "uv.lock"
    out.write_text(text + extra, encoding="utf-8")
    return out


def uncovered_names(stdout: str) -> set[str]:
    (names,) = re.findall(r"^FAIL: locked packages .*that the advisory file lacks \(added to the lock since the "
                          r"refresh\): (.*); refresh the file$", stdout, flags=re.M)
    return set(names.split(", "))
