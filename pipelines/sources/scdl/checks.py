"""The SCDL checks, one per field group: the cells of one row -> its output values.

Each check is a pure function of a few cells of one row (a *field group*: `montant`;
`datesPeriodeVersement` with the old split period columns...), with the exact parsers of
`values`; it reports its problems to a `CheckedValue`. `GROUPS` lists them in the order
a row's problems are reported (the short-row warning, missing required values, name,
amount, date, SIRET, ... percentage); `validate` runs each once per distinct value
of its columns and joins the outcome back to the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pipelines.sources.contracts import MONEY_SCALE
from pipelines.sources.person_names import reads_as_person, reads_as_sole_trader
from pipelines.sources.scdl.header import _ANNEE, _DATE_DECISION, SCDL_REQUIRED, _VERSEMENT_DEBUT, _VERSEMENT_FIN
from pipelines.sources.scdl.values import (
    _CONDITIONS, _DATE_FLAG_TEXT, _FALSE, _TRUE, _fold, _value, parse_amount, parse_date, parse_nature,
    parse_period,
)
from pipelines.sources.siret import SIREN_FROM_SIRET, SIRET_CLEANED, clean_rna, clean_siret, read_identifier

# Amounts are exact decimals to MONEY_SCALE places (DECIMAL(38, 10) in the warehouse). Below
# 10^18 (far beyond any budget), so that sums over a billion rows stay within 38 digits.
_MONEY_STEP = Decimal(1).scaleb(-MONEY_SCALE)
_MAX_AMOUNT = Decimal(10) ** 18


class CheckedValue:
    """Collects the problems of one value (or tuple of values) of a field group."""

    def __init__(self):
        # (place in the row's order or None for the group's own, field, value, reason, severity, flag code)
        self.problems: list[tuple[int | None, str, str | None, str, str, str | None]] = []

    def error(self, field: str, value: str | None, reason: str) -> None:
        self.problems.append((None, field, value, reason, "error", None))

    def warn(self, field: str, value: str | None, code: str, reason: str, seq: int | None = None) -> None:
        self.problems.append((seq, field, value, f"{code}: {reason}", "warning", code))


@dataclass(frozen=True)
class FileContext:
    """What a check knows of the whole file: the SCDL columns present (a missing value is
    reported only for a column the file has), and whether it is a spreadsheet (dates may
    be serial day numbers)."""

    present: frozenset[str]
    spreadsheet: bool


# --- field groups: cells of one row -> output values; problems go to `row` -------------------

# Missing required values are reported first in a row (in this order), though each is
# checked with its column's own group (one pass over its distinct values).
_MISSING_SEQ = {col: seq for seq, col in enumerate((c for c in SCDL_REQUIRED if c != "idAttribuant"), start=1)}
FIRST_GROUP_SEQ = len(_MISSING_SEQ) + 1


def _missing(col: str, check: Callable) -> Callable:
    def with_missing(cells: dict, row: CheckedValue, ctx: FileContext) -> dict:
        if col in ctx.present and _value(cells, col) is None:
            row.warn(col, cells.get(col), "missing_value", "required by SCDL, empty", seq=_MISSING_SEQ[col])
        return check(cells, row, ctx)
    return with_missing


def _name(cells, row, ctx):
    # A grant with an amount and a year is money, named or not: a missing name is a warning
    # (the beneficiary may still be known by its identifier; a total line is told apart later).
    name = _value(cells, "nomBeneficiaire")
    if name is None:
        row.warn("nomBeneficiaire", cells.get("nomBeneficiaire"), "name_missing", "no beneficiary name, grant kept")
    return {"beneficiaire_nom": name, "name_reads_as_person": reads_as_person(name),
            "name_reads_as_sole_trader": reads_as_sole_trader(name)}


def _montant(cells, row, ctx):
    amount_text = _value(cells, "montant")
    amount = None
    if amount_text is None:
        row.error("montant", cells.get("montant"), "missing amount")
    else:
        amount, reformatted = parse_amount(amount_text)
        if amount is None:
            row.error("montant", amount_text, "amount is not a number")
        elif not amount.is_finite() or abs(amount) >= _MAX_AMOUNT:
            row.error("montant", amount_text[:40], "amount too large to be a number of euros")
            amount = None
        else:
            exact = amount.quantize(_MONEY_STEP, rounding=ROUND_HALF_EVEN)
            if exact != amount:
                # a spreadsheet's float noise (0.30000000000000004): said, never silently cut
                row.warn("montant", amount_text, "montant_rounded",
                         f"more than {MONEY_SCALE} decimal places, read as {format(exact.normalize(), 'f')}")
                amount = exact
            if reformatted:
                row.warn("montant", amount_text, "montant_format", "read as " + format(amount, "f"))
            if amount == 0:
                row.warn("montant", amount_text, "montant_zero", "zero amount")
            elif amount < 0:
                # a cancellation or a reduction, published as such: real money, kept and counted net
                row.warn("montant", amount_text, "montant_negative", "negative amount (a cancellation or reduction), kept")
    return {"montant_eur": amount}


def _date(cells, row, ctx):
    """The convention's date and the grant's year. Without a readable convention date the
    year comes from the budget year (`exerciceBudgetaire`, ANNEE), the decision date or
    the start of the payment period, in that order, with a warning; only a row with no
    year at all is rejected (its money has no year)."""
    date_text = _value(cells, "dateConvention")
    day = year = None
    if date_text is not None:
        day, year, flags = parse_date(date_text, spreadsheet=ctx.spreadsheet)
        for code in flags:
            row.warn("dateConvention", date_text, code, _DATE_FLAG_TEXT[code])
    if year is None:
        for col, code in ((_ANNEE, "year_from_budget_year"), (_DATE_DECISION, "year_from_decision_date"),
                          ("datesPeriodeVersement", "year_from_payment_date"),
                          (_VERSEMENT_DEBUT, "year_from_payment_date")):
            text = _value(cells, col)
            fallback = _year_of(text, col, ctx) if text is not None else None
            if fallback is not None:
                what = "missing" if date_text is None else f"not a date ({date_text!r})"
                row.warn("dateConvention", cells.get("dateConvention"), code,
                         f"convention date {what}, year {fallback} taken from {col.lstrip('_')}")
                return {"date_convention": None, "year": fallback}
        if date_text is None:
            row.error("dateConvention", cells.get("dateConvention"), "missing convention date, and no other year")
        else:
            row.error("dateConvention", date_text, "not a date (expected YYYY-MM-DD), and no other year")
    return {"date_convention": day, "year": year}


def _year_of(text: str, col: str, ctx: FileContext) -> int | None:
    if col == "datesPeriodeVersement":  # a period: the year its payments start
        start = parse_period(text)[0]
        return start.year if start is not None else None
    return parse_date(text, spreadsheet=ctx.spreadsheet)[1]


def _beneficiary_ids(cells, row, ctx):
    """SIRET (14), SIREN (9) or RNA (W + 9), as real files write them in `idBeneficiaire`,
    and the RNA column. Any of them is positive evidence of an organisation."""
    id_text = _value(cells, "idBeneficiaire")
    siret, siren, rna_in_id, flags = read_identifier(id_text)
    if id_text is not None and siret is None and siren is None and rna_in_id is None:
        # a real grant whose identifier is unreadable: keep the grant, drop the identifier, say so
        row.warn("idBeneficiaire", id_text, "siret_invalid",
                 "not a valid SIRET, SIREN or RNA (" + flags[-1].replace("_", " ") + "), identifier dropped")
    elif SIREN_FROM_SIRET in flags:
        row.warn("idBeneficiaire", id_text, "siret_invalid",
                 f"not a valid SIRET (bad key), its SIREN {siren} kept")
    elif SIRET_CLEANED in flags:
        row.warn("idBeneficiaire", id_text, SIRET_CLEANED, f"read as {siret or siren}")
    rna_text = _value(cells, "rnaBeneficiaire")
    rna = clean_rna(rna_text)
    if rna_text is not None and rna is None:
        row.warn("rnaBeneficiaire", rna_text, "rna_invalid", "expected W followed by 9 characters")
    return {"beneficiaire_id": siret, "beneficiaire_siren": siren, "rna_beneficiaire": rna or rna_in_id}


def _attribuant_id(cells, row, ctx):
    att_text = _value(cells, "idAttribuant")
    att, flags = clean_siret(att_text)
    if att is None and att_text is not None:
        # authorities often publish their SIREN (Nièvre: 225800010): kept as it is
        _, siren, _, id_flags = read_identifier(att_text)
        if siren is not None and "siren_only" in id_flags:
            return {"attribuant_id": siren}
    if att_text is not None and att is None:
        row.warn("idAttribuant", att_text, "attribuant_id_invalid", "not a valid SIRET (" + flags[-1] + ")")
    elif SIRET_CLEANED in flags:
        row.warn("idAttribuant", att_text, SIRET_CLEANED, f"read as {att}")
    elif "idAttribuant" in ctx.present and att_text is None:
        row.warn("idAttribuant", cells.get("idAttribuant"), "missing_value", "required by SCDL, empty")
    return {"attribuant_id": att}


def _text(col: str, out: str) -> Callable:
    def check(cells, row, ctx):
        return {out: _value(cells, col)}
    return check


def _objet(cells, row, ctx):
    objet = _value(cells, "objet")
    if objet is not None and len(objet) > 256:
        row.warn("objet", objet[:60] + "…", "objet_too_long", f"{len(objet)} characters, SCDL allows 256")
    return {"objet": objet}


def _nature(cells, row, ctx):
    nature = _value(cells, "nature")
    if nature is not None:
        nature, standard = parse_nature(nature)
        if not standard:
            row.warn("nature", cells["nature"], "nature_nonstandard",
                     "expected 'aide en numéraire' and/or 'aide en nature'"
                     + (f", read as {nature!r}" if nature != cells["nature"].strip() else ""))
    return {"nature": nature}


def _conditions(cells, row, ctx):
    conditions = _value(cells, "conditionsVersement")
    if conditions is not None:
        conditions = _CONDITIONS.get(_fold(conditions), conditions)  # 'Unique' -> 'unique'; free text kept
    return {"conditions_versement": conditions}


def _versement(cells, row, ctx):
    start = end = None
    period = _value(cells, "datesPeriodeVersement")
    if period is not None:
        start, end, flags, ok = parse_period(period)
        if not ok:
            row.warn("datesPeriodeVersement", period, "versement_invalid", "no valid date or period read")
            start = end = None
        elif flags:
            row.warn("datesPeriodeVersement", period, "versement_nonstandard",
                     f"expected YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD, read as {start}/{end}")
    for col, key in ((_VERSEMENT_DEBUT, "start"), (_VERSEMENT_FIN, "end")):
        text = _value(cells, col)
        if text is None:
            continue
        day_, _, flags = parse_date(text, spreadsheet=ctx.spreadsheet)
        if day_ is None:
            row.warn(col.lstrip("_"), text, "versement_invalid", "not a date")
        for code in flags:
            row.warn(col.lstrip("_"), text, code, _DATE_FLAG_TEXT[code])
        if key == "start":
            start = day_
        else:
            end = day_
    return {"versement_debut": start, "versement_fin": end}


def _rae(cells, row, ctx):
    rae = _value(cells, "idRAE")
    if rae is not None and len(rae) > 5:
        row.warn("idRAE", rae, "id_rae_too_long", "SCDL allows 5 characters")
    return {"id_rae": rae}


def _notification(cells, row, ctx):
    notif = _value(cells, "notificationUE")
    flag = None
    if notif is not None:
        folded = _fold(notif)
        if folded in ("oui", "non"):
            flag = folded == "oui"
        elif folded in _TRUE or folded in _FALSE:
            flag = folded in _TRUE
            row.warn("notificationUE", notif, "notification_nonstandard", f"expected oui/non, read as {flag}")
        else:
            row.warn("notificationUE", notif, "notification_invalid", "expected oui/non")
    return {"notification_ue": flag}


def _percent(cells, row, ctx):
    pct_text = _value(cells, "pourcentageSubvention")
    pct = None
    if pct_text is not None:
        text = pct_text.rstrip().removesuffix("%")
        value, _ = parse_amount(text)
        if value is not None and (value > 1 or text != pct_text.rstrip()):
            value = value / 100
            row.warn("pourcentageSubvention", pct_text, "percent_0_100", f"read as {value}")
        if value is None or not (0 < value <= 1):
            row.warn("pourcentageSubvention", pct_text, "percent_invalid", "expected a number in (0, 1]")
            value = None
        pct = None if value is None else value.quantize(_MONEY_STEP, rounding=ROUND_HALF_EVEN)
    return {"pourcentage_subvention": pct}


# (SCDL columns read, check), in the order a row's problems are reported.
GROUPS: list[tuple[tuple[str, ...], Callable]] = [
    (("nomBeneficiaire",), _name),
    (("montant",), _montant),
    (("dateConvention", _ANNEE, _DATE_DECISION, "datesPeriodeVersement", _VERSEMENT_DEBUT), _date),
    (("idBeneficiaire", "rnaBeneficiaire"), _beneficiary_ids),
    (("nomAttribuant",), _missing("nomAttribuant", _text("nomAttribuant", "attribuant_nom"))),
    (("idAttribuant",), _attribuant_id),
    (("referenceDecision",), _text("referenceDecision", "reference_decision")),
    (("objet",), _missing("objet", _objet)),
    (("nature",), _missing("nature", _nature)),
    (("conditionsVersement",), _missing("conditionsVersement", _conditions)),
    (("datesPeriodeVersement", _VERSEMENT_DEBUT, _VERSEMENT_FIN), _missing("datesPeriodeVersement", _versement)),
    (("idRAE",), _rae),
    (("notificationUE",), _missing("notificationUE", _notification)),
    (("pourcentageSubvention",), _missing("pourcentageSubvention", _percent)),
    (("dispositifAide",), _text("dispositifAide", "dispositif_aide")),
]
