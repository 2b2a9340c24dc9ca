"""The offline dependency audit (scripts/dependency_audit.py) over uv.lock and the PyPA advisories.

- the real lock passes: every locked version an advisory holds has a waiver in force, and the
  set of those (package, advisory) pairs is recomputed here another way (OSV events paired
  into intervals) and must be the audit's set exactly;
- a lock with a known-vulnerable version (an old jinja2) fails and names each advisory that
  this test finds holding that version;
- a waiver silences exactly its finding; an expired one, or one for another package, does not;
- the advisory file covers every locked package the database has advisories for, and a
  package added to the lock since the refresh with advisories in the database fails the audit
  (when the file was made from files collected package by package, any package nobody looked up);
- the refresh script, on a small git repository and on a small folder of collected files made
  here, keeps what it must, and reads from a folder only the files its manifest lists.
No network: the audit reads only files.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
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


@pytest.fixture(scope="module")
def advisories() -> dict:
    assert ADVISORIES.exists(), (f"{ADVISORIES} is missing: make it with `make refresh-advisories "
                                 "ADVISORY_DB=<git copy of pypa/advisory-database, or a folder of collected "
                                 "files>` (docs/security.md)")
    return json.loads(ADVISORIES.read_text(encoding="utf-8"))


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


# --- (a) the real lock --------------------------------------------------------------------

def test_the_real_lock_passes_and_every_finding_it_has_is_waived(advisories):
    result = run_audit()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 0 finding(s) without a waiver" in result.stdout

    locked = locked_versions(LOCK)
    assert f"{len(locked)} locked package versions" in result.stdout  # all of them, not a subset
    assert len(locked) > 140

    # the audit's findings are the ones this test finds, no more, no fewer
    found = {(f.package, f.version, f.advisory) for f in audit_mod.findings(
        audit_mod.read_lock(LOCK)[0], advisories["advisories"])}
    assert found == expected_findings(LOCK, advisories)

    # each of them is waived by a waiver in force, naming that advisory and package
    today = datetime.now(timezone.utc).date()
    waivers = audit_mod.read_waivers(WAIVERS)
    for package, version, advisory in found:
        matching = [w for w in waivers if pep503(w.package) == package and w.advisory == advisory]
        assert matching and matching[0].expires >= today, f"{package} {version} {advisory} not waived"
        assert f"{package} {version}: {advisory}" in result.stdout
    assert "matches no finding" not in result.stdout  # no stale waiver left behind


def test_the_report_says_where_the_data_comes_from_and_how_old_it_is(advisories):
    src = advisories["source"]
    assert re.fullmatch(r"[0-9a-f]{40}", src["commit"])
    assert src["licence"] == "CC-BY-4.0" and "pypa/advisory-database" in src["licence_notice"]
    commit_day = datetime.fromisoformat(src["commit_date"]).astimezone(timezone.utc).date()
    old = run_audit(today=str(date.fromordinal(commit_day.toordinal() + 91)))
    fresh = run_audit(today=str(date.fromordinal(commit_day.toordinal() + 10)))
    assert src["commit"][:12] in old.stdout and "91 days old" in old.stdout
    assert "WARNING: the advisory data is 91 days old" in old.stdout
    assert "WARNING: the advisory data" not in fresh.stdout
    assert old.returncode == 0 and fresh.returncode == 0  # old data warns, it does not fail


# --- (b) a known-vulnerable version ---------------------------------------------------------

def test_an_old_jinja2_fails_the_audit_naming_each_advisory(advisories, tmp_path):
    jinja2 = [a for a in advisories["advisories"] if any(e["package"] == "jinja2" for e in a["affected"])]
    hitting = {a["id"] for a in jinja2 for e in a["affected"] if e["package"] == "jinja2" and holds(OLD_JINJA2, e)}
    assert hitting, "no advisory holds jinja2 2.10: pick another version"
    # independently: each of these advisories has a fix above 2.10 (the data says what fixes it)
    for a in jinja2:
        if a["id"] in hitting:
            fixes = [Version(ev["fixed"]) for e in a["affected"] for r in e["ranges"] for ev in r["events"]
                     if "fixed" in ev]
            assert any(Version(OLD_JINJA2) < f for f in fixes), a["id"]

    result = run_audit(lock=lock_with({"jinja2": OLD_JINJA2}, tmp_path))
    assert result.returncode == 1, result.stdout
    unwaived = result.stdout.split("Findings without a waiver in force")[1]
    named = set(re.findall(r"^  jinja2 2\.10: (\S+)", unwaived, flags=re.M))
    assert named == hitting
    assert f"{len(hitting)} finding(s) without a waiver" in result.stdout


def test_an_old_urllib3_in_its_2x_line_fails_with_the_fix_named(advisories, tmp_path):
    # 2.0.6: under PYSEC-2023-212 (CVE-2023-45803), fixed in 2.0.7 on the 2.x line
    result = run_audit(lock=lock_with({"urllib3": "2.0.6"}, tmp_path))
    assert result.returncode == 1
    assert re.search(r"urllib3 2\.0\.6: PYSEC-2023-212 \(.*CVE-2023-45803.*\), fixed in 2\.0\.7", result.stdout)
    # a waiver names an advisory, not a version: those 2.0.6 shares with 1.26.20 stay waived, the rest fail
    waived = {w.advisory for w in audit_mod.read_waivers(WAIVERS) if w.package == "urllib3"}
    expected = {adv for pkg, _, adv in expected_findings(tmp_path / "uv.lock", advisories) if pkg == "urllib3"}
    unwaived = result.stdout.split("Findings without a waiver in force")[1]
    assert set(re.findall(r"^  urllib3 2\.0\.6: (\S+)", unwaived, flags=re.M)) == expected - waived
    assert "PYSEC-2023-212" in expected - waived


# --- (c) waivers ----------------------------------------------------------------------------

def write_waivers(path: Path, entries: list[dict]) -> Path:
    text = WAIVERS.read_text(encoding="utf-8")
    for e in entries:
        text += "\n[[waiver]]\n" + "".join(
            f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v.isoformat()}\n" for k, v in e.items())
    path.write_text(text, encoding="utf-8")
    return path


def test_a_waiver_silences_exactly_its_finding_and_an_expired_one_does_not(advisories, tmp_path):
    lock = lock_with({"jinja2": OLD_JINJA2}, tmp_path)
    hitting = sorted(adv for pkg, _, adv in expected_findings(lock, advisories) if pkg == "jinja2")
    assert len(hitting) >= 2
    waived_id, others = hitting[0], set(hitting[1:])
    waiver = {"advisory": waived_id, "package": "Jinja2", "reason": "test: accepted for the test",
              "reviewed": date(2026, 12, 1), "expires": date(2027, 1, 31)}

    in_force = run_audit(lock=lock, waivers=write_waivers(tmp_path / "w1.toml", [waiver]), today="2027-01-31")
    assert in_force.returncode == 1  # the other jinja2 advisories still fail
    waived_part, unwaived_part = in_force.stdout.split("Findings without a waiver in force")
    assert f"jinja2 2.10: {waived_id}" in waived_part.split("Waived")[1]
    assert set(re.findall(r"^  jinja2 2\.10: (\S+)", unwaived_part, flags=re.M)) == others

    expired = run_audit(lock=lock, waivers=write_waivers(tmp_path / "w2.toml", [waiver]), today="2027-02-01")
    unwaived = expired.stdout.split("Findings without a waiver in force")[1]
    assert set(re.findall(r"^  jinja2 2\.10: (\S+)", unwaived, flags=re.M)) == set(hitting)
    assert f"the waiver for {waived_id} on Jinja2 expired on 2027-01-31" in expired.stdout

    # the same advisory id waived for another package waives nothing
    elsewhere = run_audit(lock=lock, waivers=write_waivers(tmp_path / "w3.toml", [{**waiver, "package": "flask"}]),
                          today="2027-01-01")
    assert set(re.findall(r"^  jinja2 2\.10: (\S+)", elsewhere.stdout.split("without a waiver in force")[1],
                          flags=re.M)) == set(hitting)
    assert f"waiver for {waived_id} on flask matches no finding" in elsewhere.stdout

    # waiving every one of them by an alias (CVE / GHSA) or id: the audit passes
    by_alias = []
    for adv in advisories["advisories"]:
        if adv["id"] in hitting:
            by_alias.append({**waiver, "advisory": (adv["aliases"] or [adv["id"]])[0]})
    passed = run_audit(lock=lock, waivers=write_waivers(tmp_path / "w4.toml", by_alias), today="2027-01-01")
    assert passed.returncode == 0, passed.stdout


def test_the_real_waivers_expire_and_then_the_real_lock_fails(advisories):
    latest = max(w.expires for w in audit_mod.read_waivers(WAIVERS))
    after = run_audit(today=str(date.fromordinal(latest.toordinal() + 1)))
    assert after.returncode == 1 and "expired on" in after.stdout


@pytest.mark.parametrize("broken, message", [
    ('[[waiver]]\nadvisory = "X"\npackage = "jinja2"\nreviewed = 2026-12-01\nexpires = 2027-01-01\n', "keys"),
    ('[[waiver]]\nadvisory = "X"\npackage = "jinja2"\nreason = " "\nreviewed = 2026-12-01\nexpires = 2027-01-01\n',
     "reason"),
    ('[[waiver]]\nadvisory = "X"\npackage = "jinja2"\nreason = "r"\nreviewed = 2026-12-01\nexpires = "2027-01-01"\n',
     "TOML date"),
    ('[[waiver]]\nadvisory = "X"\npackage = "jinja2"\nreason = "r"\nreviewed = 2026-12-01\nexpires = 2026-01-01\n',
     "expires before"),
])
def test_a_waiver_without_its_reason_or_dates_is_refused(tmp_path, broken, message):
    path = tmp_path / "waivers.toml"
    path.write_text(broken, encoding="utf-8")
    result = run_audit(waivers=path)
    assert result.returncode == 2 and message in result.stderr


# --- (d) coverage ---------------------------------------------------------------------------

def test_every_locked_package_with_advisories_in_the_database_is_in_the_file(advisories):
    locked_names = {name for name, _ in locked_versions(LOCK)}
    in_file = {e["package"] for a in advisories["advisories"] for e in a["affected"]}
    with_advisories = locked_names & set(advisories["database_packages"])
    assert locked_names <= set(advisories["lock_packages_at_refresh"])
    if advisories.get("database_scope") == "packages-looked-up":  # collected files: every locked name looked up
        assert locked_names <= set(advisories["packages_looked_up"])
        assert advisories["lock_packages_not_looked_up"] == []
    assert with_advisories == in_file
    for name in ("jinja2", "werkzeug", "urllib3", "requests", "flask", "cryptography", "lxml"):
        assert name in locked_names and name in in_file, name
    # a few known records, by id or alias
    ids = {x for a in advisories["advisories"] for x in (a["id"], *a["aliases"])}
    assert {"CVE-2023-45803", "CVE-2024-34064", "CVE-2023-46136", "CVE-2023-32681"} <= ids


def uncovered_names(stdout: str) -> set[str]:
    (names,) = re.findall(r"^FAIL: locked packages .*that the advisory file lacks \(added to the lock since the "
                          r"refresh\): (.*); refresh the file$", stdout, flags=re.M)
    return set(names.split(", "))


def test_a_package_added_after_the_refresh_with_known_advisories_fails(advisories, tmp_path):
    assert "django" in advisories["database_packages"]
    assert "django" not in advisories["lock_packages_at_refresh"]
    extra = ('\n[[package]]\nname = "Django"\nversion = "5.2.1"\nsource = { registry = "https://pypi.org/simple" }\n'
             '\n[[package]]\nname = "no-such-package-in-any-advisory"\nversion = "1.0"\n'
             'source = { registry = "https://pypi.org/simple" }\n')
    lock = lock_with({}, tmp_path, extra=extra)

    # a file made from the whole database knows every name with advisories: django fails, a name with
    # none is nothing to check
    whole = {k: v for k, v in advisories.items() if k not in ("database_scope", "packages_looked_up")}
    (tmp_path / "whole.json").write_text(json.dumps(whole), encoding="utf-8")
    result = run_audit(lock=lock, advisories=tmp_path / "whole.json")
    assert result.returncode == 1
    assert uncovered_names(result.stdout) == {"django"}

    # a file made from advisories collected package by package knows only the names looked up: any other
    # locked name may have advisories, so it fails too
    looked_up = {**advisories, "database_scope": "packages-looked-up",
                 "packages_looked_up": advisories.get("packages_looked_up", advisories["lock_packages_at_refresh"])}
    (tmp_path / "looked_up.json").write_text(json.dumps(looked_up), encoding="utf-8")
    result = run_audit(lock=lock, advisories=tmp_path / "looked_up.json")
    assert result.returncode == 1 and "or not looked up in it" in result.stdout
    assert uncovered_names(result.stdout) == {"django", "no-such-package-in-any-advisory"}

    # the real file is one of the two, and fails as that kind does
    result = run_audit(lock=lock)
    partial = advisories.get("database_scope") == "packages-looked-up"
    assert uncovered_names(result.stdout) == ({"django", "no-such-package-in-any-advisory"} if partial else {"django"})


# --- OSV range reading, on hand-written events ------------------------------------------------

@pytest.mark.parametrize("version, events, listed, expected", [
    ("1.26.20", [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}, {"introduced": "0"}, {"fixed": "1.26.18"}], [], False),
    ("1.26.17", [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}, {"introduced": "0"}, {"fixed": "1.26.18"}], [], True),
    ("2.0.6", [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}, {"introduced": "0"}, {"fixed": "1.26.18"}], [], True),
    ("2.0.7", [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}], [], False),
    ("1.9", [{"introduced": "1.10"}], [], False),  # 1.10 > 1.9: versions, not floats or strings
    ("1.10", [{"introduced": "0"}, {"last_affected": "1.10"}], [], True),
    ("1.10.1", [{"introduced": "0"}, {"last_affected": "1.10"}], [], False),
    ("3.0.0rc1", [{"introduced": "0"}, {"fixed": "3.0.0"}], [], True),
    ("1.0.post1", [{"introduced": "0"}, {"fixed": "1.0"}], [], False),
    ("0.5", [], ["0.5"], True),  # listed only
    ("0.5.1", [], ["0.5"], False),
])
def test_osv_ranges_are_read_as_the_spec_says(version, events, listed, expected):
    entry = {"package": "p", "ranges": [{"type": "ECOSYSTEM", "events": events}], "versions": listed}
    assert audit_mod.affects(entry, version) is expected
    assert holds(version, entry) is expected  # the test's own reading agrees


def test_a_bound_that_is_not_a_version_leaves_the_explicit_list_in_force():
    entry = {"package": "p", "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "not a version"}]}],
             "versions": ["0.5.0"]}
    assert audit_mod.affects(entry, "0.5") and not audit_mod.affects(entry, "0.6")


# --- the refresh script, on a database made here -----------------------------------------------

def test_refresh_keeps_the_locked_packages_advisories_from_a_git_repository(tmp_path):
    pytest.importorskip("yaml")
    db = tmp_path / "advisory-database"
    (db / "vulns" / "jinja2").mkdir(parents=True)
    (db / "vulns" / "django").mkdir(parents=True)
    (db / "LICENSE").write_text("Attribution 4.0 International\n", encoding="utf-8")
    (db / "vulns" / "jinja2" / "PYSEC-1.yaml").write_text(
        "id: PYSEC-1\nmodified: 2024-01-01T00:00:00Z\naliases: [CVE-1]\ndetails: A bad thing.\n"
        "affected:\n- package: {name: Jinja2, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
        "    events: [{introduced: 0}, {fixed: 2.10}]\n  - type: GIT\n    repo: x\n"
        "    events: [{introduced: '0'}, {fixed: abc}]\n  versions: ['2.1', '2.9', '2.10rc1', '0.9-odd']\n",
        encoding="utf-8")
    (db / "vulns" / "jinja2" / "PYSEC-2.yaml").write_text(
        "id: PYSEC-2\nwithdrawn: 2024-02-01T00:00:00Z\naffected:\n- package: {name: jinja2, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}]\n", encoding="utf-8")
    (db / "vulns" / "django" / "PYSEC-3.yaml").write_text(
        "id: PYSEC-3\naffected:\n- package: {name: django, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
        "    events: [{introduced: '0'}, {fixed: '1.0'}]\n", encoding="utf-8")
    git = ["git", "-C", str(db), "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(db)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "db"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "jinja2"\nversion = "2.9"\n'
                    'source = { registry = "https://pypi.org/simple" }\n', encoding="utf-8")
    out = tmp_path / "advisories.json"
    subprocess.run([sys.executable, str(SCRIPTS / "refresh_advisories.py"), str(db), "--lock", str(lock),
                    "--out", str(out)], check=True, capture_output=True, timeout=120)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["source"]["commit"] == commit and doc["lock_packages_at_refresh"] == ["jinja2"]
    assert doc["database_packages"] == ["django", "jinja2"]  # PYSEC-2 is withdrawn, its name came from PYSEC-1
    assert doc["withdrawn_records_skipped"] == 1
    (adv,) = doc["advisories"]
    assert adv["id"] == "PYSEC-1" and adv["aliases"] == ["CVE-1"] and adv["summary"] == "A bad thing."
    (entry,) = adv["affected"]
    # the unquoted 2.10 stays "2.10" (not the float 2.1); the GIT range is dropped; listed versions
    # that the range already holds are dropped, the others kept
    assert entry["ranges"] == [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10"}]}]
    assert entry["versions"] == ["0.9-odd"]
    assert audit_mod.affects(entry, "2.9") and not audit_mod.affects(entry, "2.10")
    result = run_audit(lock=lock, advisories=out, waivers=tmp_path / "none.toml")
    assert result.returncode == 1 and "jinja2 2.9: PYSEC-1 (CVE-1), fixed in 2.10" in result.stdout


def test_refresh_from_a_folder_of_collected_files_says_so_and_reads_only_what_was_collected(tmp_path):
    pytest.importorskip("yaml")
    import hashlib
    folder = tmp_path / "collected"
    texts = {
        "vulns/jinja2/PYSEC-1.yaml": (  # OSV 1.x
            "id: PYSEC-1\nmodified: '2024-01-01T00:00:00Z'\naliases: [CVE-1]\ndetails: A bad thing.\n"
            "affected:\n- package: {name: jinja2, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
            "    events: [{introduced: '0'}, {fixed: '2.10'}]\n"),
        "vulns/jinja2/PYSEC-0000-CVE-1.yaml": (  # not yet given its id: PYSEC-1 is the same advisory
            "id: PYSEC-0000-CVE-1\nmodified: '2024-03-01T00:00:00Z'\naliases: [CVE-1]\n"
            "affected:\n- package: {name: jinja2, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
            "    events: [{introduced: '0'}, {fixed: '2.10'}]\n"),
        "vulns/jinja2/PYSEC-9.yaml": (  # the database's first layout
            "id: PYSEC-9\npackage:\n  name: jinja2\n  ecosystem: PyPI\ndetails: An old thing.\n"
            "affects:\n  ranges:\n  - type: ECOSYSTEM\n    fixed: 2.8\n  versions: ['0.9-odd']\n"
            "aliases: [CVE-9]\nmodified: '2024-02-01T10:00:00Z'\n"),
        "vulns/django/PYSEC-3.yaml": (
            "id: PYSEC-3\nmodified: '2023-01-01T00:00:00Z'\naffected:\n- package: {name: django, ecosystem: PyPI}\n"
            "  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}, {fixed: '1.0'}]\n"),
    }
    commits = {"vulns/jinja2/PYSEC-1.yaml": "a" * 40, "vulns/jinja2/PYSEC-0000-CVE-1.yaml": "b" * 40,
               "vulns/jinja2/PYSEC-9.yaml": "c" * 40, "vulns/django/PYSEC-3.yaml": "a" * 40}
    for path, text in texts.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    manifest = {
        "repository": "https://github.com/example/advisory-database", "upstream": "https://github.com/pypa/advisory-database",
        "collected_on": "2026-12-02", "method": "read one by one", "licence": "CC-BY-4.0",
        "licence_evidence": "said so", "packages_listed": ["jinja2", "Django"], "known_gaps": ["PYSEC-7 not found"],
        "files": [{"path": p, "repository": "https://github.com/example/advisory-database", "commit": commits[p],
                   "sha256": hashlib.sha256(t.encode()).hexdigest()} for p, t in texts.items()],
    }
    (folder / "COLLECTION.json").write_text(json.dumps(manifest), encoding="utf-8")
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "jinja2"\nversion = "2.7"\n'
                    'source = { registry = "https://pypi.org/simple" }\n', encoding="utf-8")
    out = tmp_path / "advisories.json"

    def refresh() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(SCRIPTS / "refresh_advisories.py"), str(folder), "--lock", str(lock),
                               "--out", str(out)], capture_output=True, text=True, timeout=120)

    assert refresh().returncode == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    src = doc["source"]
    assert src["repository"] == "https://github.com/example/advisory-database" and src["licence"] == "CC-BY-4.0"
    assert src["collected_on"] == "2026-12-02" and src["method"] == "read one by one"
    assert src["known_gaps"] == ["PYSEC-7 not found"]
    # the newest record read is the staging one (2024-03-01): its commit and date stand for the data
    assert src["commit"] == "b" * 40 and src["commit_date"].startswith("2024-03-01")
    assert src["commits"] == {"https://github.com/example/advisory-database": {"a" * 40: 2, "b" * 40: 1, "c" * 40: 1}}
    assert doc["database_scope"] == "packages-looked-up" and doc["packages_looked_up"] == ["django", "jinja2"]
    assert doc["staging_records_skipped"] == ["vulns/jinja2/PYSEC-0000-CVE-1.yaml"]
    assert doc["database_packages"] == ["django", "jinja2"] and doc["database_records"] == 4
    by_id = {a["id"]: a for a in doc["advisories"]}
    assert set(by_id) == {"PYSEC-1", "PYSEC-9"}
    # the first layout read as OSV 1.x: a range with no `introduced` starts at 0
    (entry,) = by_id["PYSEC-9"]["affected"]
    assert entry["ranges"] == [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.8"}]}]
    assert entry["versions"] == ["0.9-odd"]
    result = run_audit(lock=lock, advisories=out, waivers=tmp_path / "none.toml")
    assert result.returncode == 1
    assert {"PYSEC-1", "PYSEC-9"} == set(re.findall(r"^  jinja2 2\.7: (\S+)", result.stdout, flags=re.M))

    # a locked package nobody looked up fails the audit, whatever it is
    other = tmp_path / "other.lock"
    other.write_text(lock.read_text(encoding="utf-8") + '[[package]]\nname = "somepkg"\nversion = "1.0"\n'
                     'source = { registry = "https://pypi.org/simple" }\n', encoding="utf-8")
    assert uncovered_names(run_audit(lock=other, advisories=out, waivers=tmp_path / "none.toml").stdout) == {"somepkg"}

    # only what was collected is read: a changed file, or one the manifest does not list, stops the refresh
    (folder / "vulns/jinja2/PYSEC-1.yaml").write_text(texts["vulns/jinja2/PYSEC-1.yaml"].replace("2.10", "2.11"),
                                                     encoding="utf-8")
    failed = refresh()
    assert failed.returncode != 0 and "sha256" in failed.stderr
    (folder / "vulns/jinja2/PYSEC-1.yaml").write_text(texts["vulns/jinja2/PYSEC-1.yaml"], encoding="utf-8")
    (folder / "vulns/jinja2/PYSEC-5.yaml").write_text("id: PYSEC-5\n", encoding="utf-8")
    failed = refresh()
    assert failed.returncode != 0 and "not listed" in failed.stderr
