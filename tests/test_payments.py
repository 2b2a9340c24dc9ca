"""The region's payments, end to end on the sample (issue 16; docs/money-rules.md, "Payments").

Everything expected here is read again from the raw files with the csv module and `Decimal`:
the payment orders (`payments/mandats_*.csv`) and the SCDL grants they pay. The matching rules
are applied here in their plain words (grant reference, else decision reference kept to the
beneficiary's SIREN, else the beneficiary's only grant decided by then; an exact repeat of a
line counts once) over the grants the snapshot publishes, and the snapshot must give:
- rows read = accepted + rejected for every payments file, and euros read = matched + set aside;
- each grant's paid amount = the sum of its payments (exactly, `==`), on the public list, in
  `grant_payments` and on its project page;
- "non suivi" (no payment source) exactly for the grants of programmes with no payment at all;
- the unmatched payments counted on the data-quality page, and the emergency fund's delay from
  decision to first payment on its programme page.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from dash_pages import by_id as _by_id, render as _render, text as _text
from dashboard.i18n import euros, number, t
from raw_model import read_grants, read_organisations, read_payments, read_text
from snapshot import sql


@pytest.fixture(scope="module")
def expected(sample_dir):
    """Paid per grant, matched and set-aside euros, computed here from the raw files (the SCDL
    and payments CSVs read by tests/raw_model.py's readers: csv module, Decimal)."""
    grants = read_grants(sample_dir, read_organisations(sample_dir))
    payments = read_payments(sample_dir, grants)
    paid, first_paid = defaultdict(Decimal), {}
    for p in payments:
        if p.grant is not None:
            key = f"{p.grant[0]}:{p.grant[1]}"
            paid[key] += p.amount
            first_paid[key] = min(first_paid.get(key, p.day), p.day)
    lines = _payment_rows(sample_dir)
    return {"lines": lines, "grants": {f"{g.key[0]}:{g.key[1]}": g for g in grants}, "paid": paid,
            "first_paid": first_paid, "read_eur": sum((p.amount for p in payments), Decimal(0)),
            "matched_eur": sum(paid.values(), Decimal(0)),
            "unmatched": [p for p in payments if p.day is not None and p.grant is None and not _repeat(p, lines)],
            "rejected": [p for p in payments if p.day is None]}


def _payment_rows(sample_dir: Path) -> list[dict]:
    rows = []
    for path in sorted((sample_dir / "payments").glob("*.csv")):
        for line, row in enumerate(csv.DictReader(read_text(path).splitlines(), delimiter=";"), start=2):
            rows.append({"file": path.name, "line": line, **row})
    return rows


def _repeat(payment, lines: list[dict]) -> bool:
    """The line repeats an earlier one exactly (overlapping exports): set aside, not 'unmatched'."""
    cells = [tuple(v for k, v in r.items() if k not in ("file", "line")) for r in lines]
    index = next(i for i, r in enumerate(lines) if (r["file"], r["line"]) == (payment.file, payment.line))
    return cells[index] in cells[:index]


def test_every_payment_line_is_read_and_every_euro_matched_or_set_aside(serving, expected):
    lines = expected["lines"]
    loads = sql(serving, "select coalesce(sum(rows_read), 0), coalesce(sum(rows_accepted), 0), "
                          "coalesce(sum(rows_rejected), 0) from manifest where source = 'payments'")[0]
    assert loads == (len(lines), len(lines) - len(expected["rejected"]), len(expected["rejected"]))
    read, matched = sql(serving, "select sum(amount_eur), sum(amount_eur) filter (where outcome = 'matched') "
                                  "from payment_matching")[0]
    assert read == expected["read_eur"]
    assert matched == expected["matched_eur"]
    # the sample's deliberate cases all happen: instalments, an unpaid grant, unmatched payments
    assert expected["unmatched"] and expected["rejected"]
    assert any(n > 1 for n in _instalments(expected).values())


def _instalments(expected) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in expected["lines"]:
        if row["reference_decision"]:
            counts[row["reference_decision"]] += 1
    return counts


def test_each_grants_paid_is_the_sum_of_its_payments(serving, expected):
    rows = sql(serving, "select grant_key, payments_source, paid_eur from grants_public")
    covered = {g.programme for k, g in expected["grants"].items() if k in expected["paid"]}
    assert {key for key, _, _ in rows} == set(expected["grants"])  # the same grants, read two ways
    checked = 0
    for key, source, paid in rows:
        programme = expected["grants"][key].programme
        if programme not in covered:
            # a programme with no payment record at all: "non suivi", never 0 €
            assert (source, paid) == (None, None), key
            continue
        assert source == "accounting", key
        assert paid == expected["paid"].get(key, Decimal(0)), key  # exact: Decimal ==
        checked += 1
    assert checked > 1000
    assert any(paid == 0 for _, source, paid in rows if source == "accounting")  # unpaid grants: a real 0 €
    assert any(paid is not None and 0 < paid < amount
               for (paid, amount) in sql(serving, "select paid_eur, amount_eur from grants_public"))  # paid below
    # the per-payment table says the same, grant by grant
    listed = dict(sql(serving, "select grant_key, sum(amount_eur) from grant_payments group by 1"))
    assert listed == {k: v for k, v in expected["paid"].items()}


def test_the_programme_without_payment_data_reads_non_suivi(serving, expected):
    """The sample's 'Éducation à la citoyenneté mondiale' is paid through another budget."""
    covered = {g.programme for k, g in expected["grants"].items() if k in expected["paid"]}
    programmes = {g.programme for g in expected["grants"].values()}
    uncovered = programmes - covered
    assert uncovered == {"Éducation à la citoyenneté mondiale"}
    untracked = sql(serving, "select distinct programme from funding_reconciliation where not payments_tracked")
    assert {p for (p,) in untracked} == uncovered


def test_project_page_lists_the_grants_payments(serving, client, expected):
    key = max(expected["paid"], key=lambda k: (len([r for r in expected["lines"]
                                                    if r["reference_decision"] == expected["grants"][k].reference]), k))
    tree = _render(client, f"/project/{key}")
    paid = expected["paid"][key]
    node = _by_id(tree, "project-payments")
    assert Decimal(node["props"]["data-paid"]) == Decimal(repr(float(paid)))
    assert euros(paid, "fr") in _text(node)
    block = _text(_by_id(tree, "project-payments-block"))
    dates = [r["date_paiement"] for r in expected["lines"] if r["reference_decision"] == expected["grants"][key].reference]
    assert len(dates) > 1
    for when in dates:
        assert str(int(when[8:])) in block  # each payment's day is listed
    # a grant of the programme with no payment data: "non suivi", never 0 €
    untracked = sql(serving, "select min(grant_key) from grants_public where payments_source is null")[0][0]
    tree = _render(client, f"/project/{untracked}")
    assert _text(_by_id(tree, "project-payments")) == t("not_tracked", "fr")


def test_unmatched_payments_are_counted_on_the_data_quality_page(client, serving, expected):
    tree = _render(client, "/data-quality")
    line = _text(_by_id(tree, "payments-line"))
    unmatched = expected["unmatched"]
    assert number(len(unmatched), "fr") + " non rapprochés" in line
    assert euros(sum(p.amount for p in unmatched), "fr") in line
    assert number(len(expected["lines"]), "fr") + " paiements lus" in line
    # grants paid above their amount (the sample's negative grant amount, paid in full) are counted
    above = [k for k, paid in expected["paid"].items() if paid > Decimal(str(expected["grants"][k].amount))]
    assert above
    assert sql(serving, "select value from data_quality where metric = 'grants_paid_above_amount'")[0][0] == len(above)


def test_emergency_fund_page_gives_the_delay_from_decision_to_first_payment(serving, client, expected):
    emergency = [k for k, g in expected["grants"].items() if g.programme == "Fonds d'urgence" and k in expected["first_paid"]]
    latest = max(expected["grants"][k].year for k in emergency)
    days = sorted((expected["first_paid"][k] - expected["grants"][k].day).days
                  for k in emergency if expected["grants"][k].year == latest)
    tree = _render(client, "/programme/fonds-d-urgence")
    text = _text(_by_id(tree, "programme-indicators"))
    assert f"({latest})" in text
    assert f"{statistics.median_low(days)} jours en médiane, de {days[0]} à {days[-1]} jours" in text
    assert f"pour {number(len(days), 'fr')} subventions payées" in text
