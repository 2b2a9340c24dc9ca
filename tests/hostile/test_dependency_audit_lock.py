"""The offline dependency audit (scripts/dependency_audit.py) over uv.lock and the PyPA advisories.

- the real lock passes: every locked version an advisory holds has a waiver in force, and the
  set of those (package, advisory) pairs is recomputed here another way (OSV events paired
  into intervals) and must be the audit's set exactly;
- a lock with a known-vulnerable version (an old jinja2) fails and names each advisory that
  this test finds holding that version;
- the advisory file covers every locked package the database has advisories for, and a
  package added to the lock since the refresh with advisories in the database fails the audit
  (when the file was made from files collected package by package, any package nobody looked up).
Waivers: test_dependency_audit_waivers.py; the refresh: test_dependency_audit_refresh.py.
No network: the audit reads only files.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from packaging.version import Version
from .audit_support import (
    LOCK,
    OLD_JINJA2,
    WAIVERS,
    audit_mod,
    expected_findings,
    holds,
    lock_with,
    locked_versions,
    pep503,
    run_audit,
    uncovered_names,
)


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
