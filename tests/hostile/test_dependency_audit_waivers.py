"""The dependency audit's waivers (security/waivers.toml): a waiver silences exactly its finding; an
expired one, or one for another package, does not; the real waivers expire, and one without its reason
or dates is refused. No network: the audit reads only files.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from .audit_support import (
    OLD_JINJA2,
    WAIVERS,
    audit_mod,
    expected_findings,
    lock_with,
    run_audit,
)


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
