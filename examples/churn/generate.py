"""A generator of synthetic customers that honour the data contract.

The course cannot ship the public Telco customer-churn file, and the validation and monitoring
lectures need data that is wrong in controlled ways, so the project makes its own customers:

- **Realistic rows.** The 21 columns of [`churn.contract`][churn.contract] in the public CSV's order and
  formats, with the public data's shares and consistency rules: customers without internet have
  "No internet service" for the six add-ons, customers without phone have "No phone service",
  fiber costs more than DSL, ``TotalCharges`` is about ``tenure * MonthlyCharges``, and customers
  in their first month (tenure 0) have a blank ``TotalCharges`` (the public data's blemish).
- **Learnable churn.** ``Churn`` is drawn from a logistic model of the other columns (see
  [`churn_probability()`][churn.generate.churn_probability]); the base rate is about 26% (26.2%
  for seed 42, 10,000 rows), and the signal allows ROC AUC about 0.859 (the AUC of the true
  probability against the drawn labels, seed 42, 10,000 rows; 0.858-0.863 across seeds). No
  model can do better on average; a logistic regression on one-hot features reaches about 0.855
  on a held-out quarter, close to the 0.84 such a baseline reaches on the real data.
- **Deterministic.** The same ``rows`` and ``seed`` give the identical frame. Every column draws
  from its own random stream, so a drift knob changes its own column and what depends on it,
  not the random draws of the others.
- **Switches.** [`Drift`][churn.generate.Drift] shifts distributions or the churn relationship itself (for the
  monitoring lectures); [`Quality`][churn.generate.Quality] injects missing values, blanks, duplicates and
  out-of-range numbers (for the validation lectures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from churn.contract import ID_COLUMN, TARGET_COLUMN, column_names, get_column
from churn.ingest import SUPPORTED_SUFFIXES, DataError, write_whole

NO_INTERNET = "No internet service"
NEW_PAYMENT_METHOD = "Digital wallet"
ADDONS = ("OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies")
CONTRACT_SHARES = {"Month-to-month": 0.55, "One year": 0.21, "Two year": 0.24}
FIBER_SHARE = 0.56  # of internet customers, as in the public data
FIRST_MONTH_SHARE = 0.002  # customers with tenure 0 (blank TotalCharges)


def _check_share(owner: object, name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{type(owner).__name__}.{name} must be a share between 0 and 1, got {value!r}")


# --8<-- [start:drift]
@dataclass(frozen=True)
class Drift:
    """Changes to the world the customers come from; the defaults change nothing.

    Attributes:
        month_to_month_share: Share of Month-to-month contracts (the rest keep their proportions).
        fiber_share: Share of Fiber optic among customers with internet.
        monthly_charges_factor: Multiplies MonthlyCharges (clipped to the contract range).
        tenure_shift_months: Added to tenure (clipped to 0..72).
        new_payment_method_share: Share of rows paying with "Digital wallet", a category the
            contract does not know.
        churn_shift: Added to the churn log-odds: the same customer churns more (concept drift).
    """

    month_to_month_share: float | None = None
    fiber_share: float | None = None
    monthly_charges_factor: float = 1.0
    tenure_shift_months: float = 0.0
    new_payment_method_share: float = 0.0
    churn_shift: float = 0.0
# --8<-- [end:drift]

    def __post_init__(self) -> None:
        for name in ("month_to_month_share", "fiber_share", "new_payment_method_share"):
            _check_share(self, name, getattr(self, name))
        if not (math.isfinite(self.monthly_charges_factor) and self.monthly_charges_factor > 0):
            raise ValueError(f"Drift.monthly_charges_factor must be a positive number, got "
                             f"{self.monthly_charges_factor!r}")
        for name in ("tenure_shift_months", "churn_shift"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Drift.{name} must be a finite number, got {getattr(self, name)!r}")


# --8<-- [start:quality]
@dataclass(frozen=True)
class Quality:
    """Data-quality problems to inject, each as a share of the rows; the defaults are clean.

    Attributes:
        null_share: Rows with one required value missing (a random feature column per row).
        blank_total_charges_share: Rows with TotalCharges " " although tenure > 0.
        duplicate_share: Rows overwritten by a copy of another row (same customerID).
        out_of_range_share: Rows with tenure or MonthlyCharges outside the contract's range.
    """

    null_share: float = 0.0
    blank_total_charges_share: float = 0.0
    duplicate_share: float = 0.0
    out_of_range_share: float = 0.0
# --8<-- [end:quality]

    def __post_init__(self) -> None:
        for field in fields(self):
            _check_share(self, field.name, getattr(self, field.name))
        total = self.null_share + self.blank_total_charges_share + 2 * self.duplicate_share + self.out_of_range_share
        if total > 1.0:
            raise ValueError(f"Quality shares need more rows than there are ({total:.2f} of the rows; a duplicate "
                             "uses two rows): lower them so that the sum, duplicates counted twice, is at most 1")


def generate_customers(rows: int, seed: int = 42, *, drift: Drift | None = None,
                       quality: Quality | None = None, with_probability: bool = False) -> pd.DataFrame:
    """Generate ``rows`` synthetic customers in the format of the public Telco churn CSV.

    Args:
        rows: Number of customers (0 or more).
        seed: Seed of the random generator; the same ``rows`` and ``seed`` give the same frame.
        drift: Distribution or concept changes (default: none).
        quality: Data-quality problems to inject (default: none).
        with_probability: Also return the true churn probability as ``churn_probability``.

    Returns:
        One row per customer, columns ``churn.contract.column_names()`` in that order (plus
        ``churn_probability`` if asked for). ``TotalCharges`` is float64 unless some value is a
        blank string, which makes the column ``object``.
    """
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 0:
        raise ValueError(f"rows must be a whole number >= 0, got {rows!r}")
    drift, quality = drift or Drift(), quality or Quality()
    streams = iter(np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(32))
    columns = _draw_customers(int(rows), drift, streams)
    probability = churn_probability(columns, drift.churn_shift)
    columns[TARGET_COLUMN] = np.where(next(streams).random(rows) < probability, "Yes", "No")
    frame = pd.DataFrame(columns, columns=column_names())
    frame["TotalCharges"] = _total_charges_column(frame["TotalCharges"].to_numpy(), frame["tenure"].to_numpy())
    frame["churn_probability"] = probability
    frame = _inject_quality_problems(frame, quality, next(streams))
    return frame if with_probability else frame.drop(columns="churn_probability")


def _pick(rng: np.random.Generator, values: tuple[str, ...], shares: np.ndarray | list[float], rows: int) -> np.ndarray:
    """Draw one of ``values`` per row; ``shares`` may be per value or an array (rows x values)."""
    cumulative = np.cumsum(np.asarray(shares, dtype=float), axis=-1)
    cumulative = cumulative / cumulative[..., -1:]
    index = (rng.random((rows, 1)) > np.broadcast_to(cumulative, (rows, len(values)))).sum(axis=1)
    return np.asarray(values, dtype=object)[np.minimum(index, len(values) - 1)]


def _yes_no(rng: np.random.Generator, probability: float | np.ndarray, rows: int) -> np.ndarray:
    return np.where(rng.random(rows) < probability, "Yes", "No").astype(object)


def _customer_ids(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Unique ids like ``7590-VHVEG``: four digits, a dash, five capital letters."""
    ids = np.empty(0, dtype=object)
    while len(ids) < rows:
        need = rows - len(ids)
        digits = rng.integers(0, 10_000, need)
        letters = rng.integers(ord("A"), ord("Z") + 1, (need, 5), dtype=np.uint8).view("S5").ravel()
        drawn = [f"{d:04d}-{s.decode()}" for d, s in zip(digits, letters, strict=True)]
        ids = pd.unique(np.concatenate([ids, np.asarray(drawn, dtype=object)]))
    return ids


def _draw_customers(rows: int, drift: Drift, streams) -> dict[str, np.ndarray]:
    """Draw every column but Churn; each column uses its own random stream."""
    c: dict[str, np.ndarray] = {ID_COLUMN: _customer_ids(next(streams), rows)}
    c["gender"] = _pick(next(streams), ("Female", "Male"), [0.5, 0.5], rows)
    c["SeniorCitizen"] = (next(streams).random(rows) < 0.16).astype("int64")
    c["Partner"] = _yes_no(next(streams), 0.48, rows)
    c["Dependents"] = _yes_no(next(streams), np.where(c["Partner"] == "Yes", 0.52, 0.10), rows)

    shares = dict(CONTRACT_SHARES)
    if drift.month_to_month_share is not None:
        rest = 1.0 - CONTRACT_SHARES["Month-to-month"]
        shares = {name: (1.0 - drift.month_to_month_share) * share / rest for name, share in shares.items()}
        shares["Month-to-month"] = drift.month_to_month_share
    c["Contract"] = _pick(next(streams), tuple(shares), list(shares.values()), rows)
    c["tenure"] = _tenure(next(streams), c["Contract"], drift.tenure_shift_months)

    fiber = FIBER_SHARE if drift.fiber_share is None else drift.fiber_share
    internet = next(streams).random(rows) < 0.78
    c["InternetService"] = np.where(~internet, "No", np.where(next(streams).random(rows) < fiber, "Fiber optic", "DSL"))
    dsl = c["InternetService"] == "DSL"
    c["PhoneService"] = np.where(dsl & (next(streams).random(rows) < 0.28), "No", "Yes").astype(object)
    c["MultipleLines"] = np.where(c["PhoneService"] == "No", "No phone service",
                                  _yes_no(next(streams), 0.30 + 0.4 * c["tenure"] / 72, rows))
    c.update(_addons(streams, c["InternetService"], c["tenure"], rows))

    paperless_share = {"Fiber optic": 0.75, "DSL": 0.57, "No": 0.33}
    c["PaperlessBilling"] = _yes_no(next(streams), _lookup(c["InternetService"], paperless_share), rows)
    c["PaymentMethod"] = _payment_method(next(streams), c["Contract"], rows)
    if drift.new_payment_method_share:
        new = next(streams).random(rows) < drift.new_payment_method_share
        c["PaymentMethod"] = np.where(new, NEW_PAYMENT_METHOD, c["PaymentMethod"]).astype(object)
    else:
        next(streams)
    c["MonthlyCharges"], c["TotalCharges"] = _charges(next(streams), c, drift.monthly_charges_factor, rows)
    return c


def _lookup(values: np.ndarray, table: dict[str, float]) -> np.ndarray:
    return np.select([values == key for key in table], list(table.values()), default=np.nan)


def _tenure(rng: np.random.Generator, contract: np.ndarray, shift: float) -> np.ndarray:
    """Months as a customer: short for month-to-month, long for two-year contracts, a few at 0."""
    power = _lookup(contract, {"Month-to-month": 2.8, "One year": 0.7, "Two year": 0.27})
    uniform = rng.random((2, len(contract)))
    months = np.ceil(72 * uniform[0] ** power).clip(1, 72)
    months = np.where(uniform[1] < FIRST_MONTH_SHARE, 0, months)
    return np.clip(months + round(shift), 0, 72).astype("int64")


def _addons(streams, internet: np.ndarray, tenure: np.ndarray, rows: int) -> dict[str, np.ndarray]:
    """The six internet add-ons: more with tenure; fiber customers stream more and secure less."""
    base = {"OnlineSecurity": (0.45, 0.27), "OnlineBackup": (0.42, 0.42), "DeviceProtection": (0.40, 0.45),
            "TechSupport": (0.46, 0.28), "StreamingTV": (0.33, 0.60), "StreamingMovies": (0.33, 0.61)}
    columns = {}
    for name, (dsl, fiber) in base.items():
        probability = np.where(internet == "Fiber optic", fiber, dsl) + 0.35 * (tenure / 72 - 0.45)
        drawn = _yes_no(next(streams), np.clip(probability, 0.02, 0.98), rows)
        columns[name] = np.where(internet == "No", NO_INTERNET, drawn).astype(object)
    return columns


def _payment_method(rng: np.random.Generator, contract: np.ndarray, rows: int) -> np.ndarray:
    """Electronic checks are common on month-to-month contracts, automatic payments on long ones."""
    methods = get_column("PaymentMethod").allowed  # Electronic, Mailed, Bank transfer, Credit card
    monthly = contract == "Month-to-month"
    shares = np.where(monthly[:, None], [0.45, 0.22, 0.165, 0.165], [0.16, 0.24, 0.30, 0.30])
    return _pick(rng, methods, shares, rows)


def _charges(rng: np.random.Generator, c: dict[str, np.ndarray], factor: float,
             rows: int) -> tuple[np.ndarray, np.ndarray]:
    """MonthlyCharges from the services taken; TotalCharges about tenure times MonthlyCharges."""
    price = {"OnlineSecurity": 5, "OnlineBackup": 5, "DeviceProtection": 5, "TechSupport": 5,
             "StreamingTV": 10, "StreamingMovies": 10}
    monthly = (np.where(c["PhoneService"] == "Yes", 20.0, 0.0) + np.where(c["MultipleLines"] == "Yes", 5.0, 0.0)
               + _lookup(c["InternetService"], {"DSL": 24.0, "Fiber optic": 48.0, "No": 0.0}))
    for name, cost in price.items():
        monthly = monthly + np.where(c[name] == "Yes", cost, 0.0)
    noise = rng.normal(0.0, 1.0, (2, rows))
    limits = get_column("MonthlyCharges")
    monthly = np.clip((monthly + 1.5 * noise[0]).clip(18.25) * factor, limits.minimum, limits.maximum).round(2)
    total = c["tenure"] * monthly * np.clip(1 + 0.05 * noise[1], 0.85, 1.15)
    return monthly, np.minimum(total, get_column("TotalCharges").maximum).round(2)


def _total_charges_column(total: np.ndarray, tenure: np.ndarray) -> np.ndarray:
    """Blank (a single space) in the first month, as the public CSV has it; otherwise the number."""
    if not (tenure == 0).any():
        return total.astype("float64")
    return np.where(tenure == 0, " ", total.astype(object)).astype(object)


# --8<-- [start:churn_signal]
LOG_ODDS = {  # effect of each trait on the log-odds of churning, from the baseline customer
    "Contract": {"Month-to-month": 0.9, "One year": -0.3, "Two year": -1.3},
    "InternetService": {"Fiber optic": 0.55, "DSL": 0.0, "No": -0.8},
    "PaymentMethod": {"Electronic check": 0.45},
    "OnlineSecurity": {"No": 0.3},
    "TechSupport": {"No": 0.3},
    "PaperlessBilling": {"Yes": 0.3},
    "Partner": {"Yes": -0.1},
    "Dependents": {"Yes": -0.25},
}


def churn_probability(c: dict[str, np.ndarray], churn_shift: float = 0.0) -> np.ndarray:
    """The true P(churn) of each customer: a logistic model of their traits."""
    log_odds = np.full(len(c["tenure"]), -2.1 + churn_shift)
    for column, effects in LOG_ODDS.items():
        for value, effect in effects.items():
            log_odds += effect * (c[column] == value)
    log_odds += 0.3 * c["SeniorCitizen"]
    log_odds -= 0.6 * (np.log1p(c["tenure"]) - np.log1p(12))  # the first months are the riskiest
    log_odds += 0.004 * (c["MonthlyCharges"] - 65)
    return 1 / (1 + np.exp(-log_odds))
# --8<-- [end:churn_signal]


def _inject_quality_problems(frame: pd.DataFrame, quality: Quality, rng: np.random.Generator) -> pd.DataFrame:
    """Break the share of rows ``quality`` asks for; each problem gets rows of its own."""
    rows = len(frame)
    order = rng.permutation(rows)
    taken = np.zeros(rows, dtype=bool)

    def take(share: float, eligible: np.ndarray | None = None) -> np.ndarray:
        count = round(share * rows)
        free = order[~taken[order] & (True if eligible is None else eligible[order])]
        chosen = np.sort(free[:count])
        taken[chosen] = True
        return chosen

    nulls = take(quality.null_share)
    blanks = take(quality.blank_total_charges_share, eligible=frame["tenure"].to_numpy() > 0)
    out_of_range = take(quality.out_of_range_share)
    copies, originals = take(quality.duplicate_share), take(quality.duplicate_share)
    frame = _set_missing(frame, nulls, rng)
    if len(blanks):
        frame["TotalCharges"] = frame["TotalCharges"].astype(object)
        frame.loc[blanks, "TotalCharges"] = " "
    frame = _set_out_of_range(frame, out_of_range, rng)
    source = np.arange(rows)
    source[copies] = originals[rng.permutation(len(originals))]
    return frame.iloc[source].reset_index(drop=True) if len(copies) else frame


def _set_missing(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Blank one required feature per row; integer columns become nullable ``Int64``."""
    required = [name for name in column_names()
                if name not in (ID_COLUMN, TARGET_COLUMN) and not get_column(name).nullable]
    chosen = np.asarray(required)[rng.integers(0, len(required), len(rows))]
    for name in np.unique(chosen):
        where = rows[chosen == name]
        if get_column(name).kind == "integer":
            frame[name] = frame[name].astype("Int64")
        frame.loc[where, name] = None
    return frame


def _set_out_of_range(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Half the rows get an impossible tenure (-12..-1 or 73..120), the others an impossible bill."""
    on_tenure = rng.random(len(rows)) < 0.5
    low = rng.random(len(rows)) < 0.5
    tenure = np.where(low, rng.integers(-12, 0, len(rows)), rng.integers(73, 121, len(rows)))
    charges = np.where(low, -rng.uniform(0.01, 50, len(rows)), rng.uniform(200.01, 999, len(rows))).round(2)
    frame.loc[rows[on_tenure], "tenure"] = tenure[on_tenure]
    frame.loc[rows[~on_tenure], "MonthlyCharges"] = charges[~on_tenure]
    return frame


# --8<-- [start:write_table]
def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV or Parquet, chosen by the file's suffix; return the path.

    CSV keeps the public data's formats (a blank TotalCharges is written as a blank). Parquet
    needs one type per column, so a column mixing numbers and blanks is written as text;
    validation reads both forms the same way.

    The file appears whole or not at all: it is written next to its final name and then renamed.

    Raises:
        churn.ingest.DataError: The suffix is neither ``.csv`` nor ``.parquet``, or the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(f"{path}: cannot write {suffix or 'a file without suffix'!r}; "
                        f"name the file with one of {', '.join(SUPPORTED_SUFFIXES)}")

    def write(partial: Path) -> None:
        if suffix == ".csv":
            frame.to_csv(partial, index=False)
        else:
            mixed = [name for name in frame.columns if frame[name].dtype == object]
            text = {name: frame[name].map(lambda v: v if pd.isna(v) or isinstance(v, str) else str(v))
                    for name in mixed}
            frame.assign(**text).to_parquet(partial, index=False)

    write_whole(path, write)
    return path
# --8<-- [end:write_table]
