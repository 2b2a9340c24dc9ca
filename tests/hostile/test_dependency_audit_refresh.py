"""The advisory file and its refresh (scripts/refresh_advisories.py): OSV ranges read as the spec says, on
hand-written events; the refresh script, on a small git repository and on a small folder of collected
files made here, keeps what it must, and reads from a folder only the files its manifest lists.
No network.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from .audit_support import ADVISORIES, SCRIPTS, audit_mod, holds, run_audit, uncovered_names


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


def test_a_package_looked_up_and_found_empty_is_added_without_touching_the_records(tmp_path):
    """`--looked-up-empty`: a package added to the lock, whose folders were looked up and found
    empty, joins the file's lookups (and the audit passes it); the records, the other packages and
    the data's date stay as they were. A package the records have advisories for, or one the lock
    does not name, is refused: that needs a refresh."""
    real = json.loads(ADVISORIES.read_text(encoding="utf-8"))
    before = dict(real, packages_looked_up=[n for n in real["packages_looked_up"] if n != "python-calamine"],
                  lock_packages_at_refresh=[n for n in real["lock_packages_at_refresh"] if n != "python-calamine"])
    start = tmp_path / "before.json"
    start.write_text(json.dumps(before), encoding="utf-8")
    assert "python-calamine" in uncovered_names(run_audit(advisories=start).stdout)
    out = tmp_path / "after.json"

    def add(*names: str, how: str = "listed vulns/<name>/ in both repositories: empty") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(SCRIPTS / "refresh_advisories.py"), str(start), "--looked-up-empty",
                               *names, "--how", how, "--out", str(out)], capture_output=True, text=True, timeout=120)

    assert add("python-calamine").returncode == 0
    after = json.loads(out.read_text(encoding="utf-8"))
    assert run_audit(advisories=out).returncode == 0
    assert after["advisories"] == real["advisories"] and after["database_records"] == real["database_records"]
    assert after["source"]["commit_date"] == real["source"]["commit_date"]
    assert set(after["packages_looked_up"]) - set(before["packages_looked_up"]) == {"python-calamine"}
    assert after["source"]["method"].endswith("for python-calamine: listed vulns/<name>/ in both repositories: empty")
    for refused, why in ((("lxml",), "has advisories"), (("not-a-locked-package",), "not in uv.lock"),
                         (("python-calamine",), "--how")):
        outcome = add(*refused, how="" if why == "--how" else "looked")
        assert outcome.returncode != 0, refused
        assert (why if why != "has advisories" else "the database has advisories for lxml") in outcome.stderr
