"""IATI code translation: 1.0x text codes to their 2.0x equivalents.

IATI 1.0x publishers wrote letter or word codes where 2.0x uses numbers. The two
sets never overlap (no 1.0x code is a 2.0x code), so one lookup per codelist reads
both versions without guessing: a code that is in neither set is reported, never
passed through as if it were valid. Sources: the 2.03 embedded codelists in
shared/reference/codelists/iati_embedded/ and the 1.0x codelists they replaced.
"""

from __future__ import annotations

# TransactionType 2.03: 1 Incoming Funds, 2 Outgoing Commitment, 3 Disbursement,
# 4 Expenditure, 5 Interest Payment, 6 Loan Repayment, 7 Reimbursement,
# 8 Purchase of Equity, 9 Sale of Equity, 10 Credit Guarantee, 11 Incoming
# Commitment, 12 Outgoing Pledge, 13 Incoming Pledge.
TRANSACTION_TYPE_V1 = {
    "IF": "1",  # Incoming Funds
    "C": "2",  # Commitment
    "D": "3",  # Disbursement
    "E": "4",  # Expenditure
    "IR": "5",  # Interest Repayment
    "LR": "6",  # Loan Repayment
    "R": "7",  # Reimbursement
    "QP": "8",  # Purchase of Equity
    "QS": "9",  # Sale of Equity
    "CG": "10",  # Credit Guarantee
}
TRANSACTION_TYPE_V2 = frozenset(str(n) for n in range(1, 14))

# OrganisationRole 2.03: 1 Funding, 2 Accountable, 3 Extending, 4 Implementing.
ORG_ROLE_V1 = {"funding": "1", "accountable": "2", "extending": "3", "implementing": "4"}
ORG_ROLE_V2 = frozenset({"1", "2", "3", "4"})

# ActivityDateType 2.03: 1 Planned start, 2 Actual start, 3 Planned end, 4 Actual end.
ACTIVITY_DATE_TYPE_V1 = {"start-planned": "1", "start-actual": "2", "end-planned": "3", "end-actual": "4"}
ACTIVITY_DATE_TYPE_V2 = frozenset({"1", "2", "3", "4"})

# SectorVocabulary 1.0x text codes. Unknown vocabularies (e.g. 1.0x "WB") are kept
# as written so they are never mistaken for DAC codes downstream.
SECTOR_VOCABULARY_V1 = {
    "DAC": "1",
    "DAC-3": "2",
    "COFOG": "3",
    "NACE": "4",
    "NTEE": "5",
    "ADT": "6",
    "RO2": "98",
    "RO": "99",
}

# BudgetType 2.03: 1 Original, 2 Revised (1.0x files often wrote the words).
BUDGET_TYPE_V1 = {"original": "1", "revised": "2"}

# ResultType 2.03: 1 Output, 2 Outcome, 3 Impact, 9 Other.
RESULT_TYPE_V1 = {"output": "1", "outcome": "2", "impact": "3", "other": "9"}


def transaction_type(code: str | None) -> str | None:
    """2.0x transaction-type code, or None when the code is unknown or absent."""
    if code is None:
        return None
    code = code.strip()
    if code in TRANSACTION_TYPE_V2:
        return code
    return TRANSACTION_TYPE_V1.get(code.upper())


def org_role(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip()
    if code in ORG_ROLE_V2:
        return code
    return ORG_ROLE_V1.get(code.lower())


def activity_date_type(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip()
    if code in ACTIVITY_DATE_TYPE_V2:
        return code
    return ACTIVITY_DATE_TYPE_V1.get(code.lower())


def sector_vocabulary(code: str | None) -> str:
    """Absent vocabulary means DAC 5-digit in 1.0x and 2.0x alike."""
    if code is None or not code.strip():
        return "1"
    code = code.strip()
    return SECTOR_VOCABULARY_V1.get(code.upper(), code)


def budget_type(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip()
    return BUDGET_TYPE_V1.get(code.lower(), code)


def result_type(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip()
    return RESULT_TYPE_V1.get(code.lower(), code)
