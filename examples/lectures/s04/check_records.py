"""Lecture 4.3: check good and bad customer records against the data contract.

Starts from one valid customer (the first customer of the public Telco data set, the same one as
``customer.json`` next to this script, with its label) and breaks it in the ways real exports
break. Each case prints what ``churn.contract.check_record`` finds.

Run it from the repository root::

    python examples/lectures/s04/check_records.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from churn.contract import Violation, check_record

CUSTOMER = json.loads((Path(__file__).parent / "customer.json").read_text(encoding="utf-8")) | {"Churn": "No"}


# --8<-- [start:cases]
def renamed(record: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The record with one column renamed, as a changed export header would deliver it."""
    return {new if name == old else name: value for name, value in record.items()}


def cases(good: dict[str, Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """Name -> (record, whether Churn is required): one valid record and the ways exports break it."""
    scoring = {name: value for name, value in good.items() if name != "Churn"}
    return {
        "valid training record": (good, True),
        "new payment method": (good | {"PaymentMethod": "Digital wallet"}, True),
        "tenure in days, not months": (good | {"tenure": 900}, True),
        "charge exported as text": (good | {"MonthlyCharges": "29,85"}, True),
        "id without its dash": (good | {"customerID": "7590VHVEG"}, True),
        "renamed column": (renamed(good, "Contract", "ContractType"), True),
        "first month, blank total": (good | {"tenure": 0, "TotalCharges": " "}, True),
        "scoring record, no Churn": (scoring, False),
    }


def check_cases(good: dict[str, Any]) -> dict[str, list[Violation]]:
    """Run the contract check on every case; an empty list means the record honours the contract."""
    return {name: check_record(record, require_target=needs_target)
            for name, (record, needs_target) in cases(good).items()}
# --8<-- [end:cases]


if __name__ == "__main__":
    for name, violations in check_cases(CUSTOMER).items():
        print(f"{name}: {'OK' if not violations else f'{len(violations)} violation(s)'}")
        for violation in violations:
            print(f"    {violation}")
