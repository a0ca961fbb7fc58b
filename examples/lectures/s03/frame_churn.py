"""Lecture 3.1: write the churn question down precisely enough to compute a label and catch a leak.

Run it from the repository root::

    python examples/lectures/s03/frame_churn.py

It prints the framing (unit, scoring date, windows, action), the label of six customers whose
cancellation dates fall on and around the edges of the prediction window, and a timing check of
the columns a warehouse table offers: which ones are known on the scoring date, and which ones
only after the outcome (leaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from churn.config import load_config
from churn.contract import ID_COLUMN, TARGET_COLUMN, feature_columns

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"


# --8<-- [start:framing]
@dataclass(frozen=True)
class ChurnFraming:
    """The churn question, written down: when we score, what counts as churn, what we may look at."""

    scoring_date: date  # features are cut off at the end of this day
    prediction_window_days: int = 30  # churn = a cancellation in the 30 days after the scoring date
    observation_window_days: int = 90  # event counts (calls, tickets) look back 90 days, never forward

    def label(self, cancelled_on: date | None) -> str | None:
        """'Yes' or 'No' for a customer active on the scoring date; None if already gone (not scored)."""
        if cancelled_on is not None and cancelled_on <= self.scoring_date:
            return None
        window_end = self.scoring_date + timedelta(days=self.prediction_window_days)
        return "Yes" if cancelled_on is not None and cancelled_on <= window_end else "No"

    def known_in_time(self, known_on: date) -> bool:
        """A value may be a feature only if it was known by the end of the scoring date."""
        return known_on <= self.scoring_date
# --8<-- [end:framing]


FRAMING = ChurnFraming(scoring_date=date(2026, 3, 1))

# customerID -> the day the customer filed a cancellation (None: has not cancelled)
CANCELLATIONS: dict[str, date | None] = {
    "4821-KXPQD": date(2026, 3, 12),
    "1093-LMWRT": None,
    "6650-BZEHN": date(2026, 3, 31),
    "2207-QTYVA": date(2026, 4, 1),
    "8814-CJRUS": date(2026, 2, 20),
    "3379-HPNEF": date(2026, 3, 1),
}


# --8<-- [start:candidates]
def candidate_columns(framing: ChurnFraming) -> dict[str, date]:
    """Columns a warehouse export offers, and the day each value became known."""
    on_scoring_date = framing.scoring_date
    after_window = framing.scoring_date + timedelta(days=framing.prediction_window_days + 5)
    return {
        **dict.fromkeys(feature_columns(), on_scoring_date),  # the contract's snapshot
        "SupportCalls90d": on_scoring_date,  # counted over the 90 days up to the scoring date
        "CancellationReason": framing.scoring_date + timedelta(days=11),  # typed in at cancellation
        "AccountStatus": after_window,  # "Closed" or "Active" on export day: the label renamed
        "LastInvoiceAmount": after_window,  # a leaver's last invoice is the prorated final bill
    }


def leaks(framing: ChurnFraming) -> list[str]:
    """The candidate columns that were not known on the scoring date: they must not be features."""
    return [name for name, known_on in candidate_columns(framing).items() if not framing.known_in_time(known_on)]
# --8<-- [end:candidates]


def describe(framing: ChurnFraming, threshold: float | None = None) -> list[str]:
    """Return the lines the script prints (the call threshold read from the project's config)."""
    if threshold is None:
        threshold = load_config(CONFIG).threshold
    start = framing.scoring_date + timedelta(days=1)
    end = framing.scoring_date + timedelta(days=framing.prediction_window_days)
    lines = [
        f"Question: which active customers will file a cancellation in the "
        f"{framing.prediction_window_days} days after {framing.scoring_date}?",
        f"Unit:     one customer active at the end of {framing.scoring_date} ({ID_COLUMN})",
        f"Label:    {TARGET_COLUMN} = Yes if the cancellation falls in {start} .. {end}",
        f"Features: known by the end of {framing.scoring_date}; event counts over the "
        f"{framing.observation_window_days} days before it",
        f"Action:   every customer with p >= {threshold} goes on the retention team's call list",
        "",
        f"{ID_COLUMN:<12} {'cancelled':<11} {TARGET_COLUMN}",
    ]
    for customer, cancelled_on in CANCELLATIONS.items():
        label = framing.label(cancelled_on)
        lines.append(f"{customer:<12} {cancelled_on or '-'!s:<11} {label or '- (gone before scoring)'}")
    lines += ["", "Feature timing check:"]
    known = candidate_columns(framing)
    usable = [name for name in known if name not in leaks(framing)]
    lines.append(f"  usable ({len(usable)}): {len(feature_columns())} contract features, "
                 + ", ".join(name for name in usable if name not in feature_columns()))
    for name in leaks(framing):
        days = (known[name] - framing.scoring_date).days
        lines.append(f"  LEAK   {name:<19} known {days} days after the scoring date")
    return lines


if __name__ == "__main__":
    print("\n".join(describe(FRAMING)))
