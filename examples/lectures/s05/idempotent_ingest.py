"""Lecture 5.2: land daily exports twice; appending duplicates rows, overwriting a date partition does not.

Run it from the repository root::

    python examples/lectures/s05/idempotent_ingest.py

Everything is written to a temporary folder that is deleted at the end.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
from churn.contract import column_names
from churn.generate import generate_customers, write_table
from churn.ingest import DataError, load_table

ROWS = 1_000
DAYS = (date(2026, 11, 2), date(2026, 11, 3))


# --8<-- [start:check_header]
def check_header(frame: pd.DataFrame, source: Path) -> None:
    """Refuse a file whose header lacks a contract column, before anything lands."""
    missing = [name for name in column_names() if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing contract column(s) {missing}; refused at the door, nothing "
                        "landed: ask the producer about the schema change")
# --8<-- [end:check_header]


# --8<-- [start:ingest]
def ingest_partition(source: Path, lake: Path, day: date) -> Path:
    """Land one day's export as that day's partition; running it again replaces it (idempotent)."""
    frame = load_table(source)                        # DataError if missing or unreadable
    check_header(frame, source)                       # schema check at the door
    partition = lake / f"snapshot_date={day.isoformat()}"
    staging = write_table(frame, partition / ".incoming.parquet")  # readers skip dot files
    target = partition / "part-0.parquet"
    os.replace(staging, target)                       # atomic: readers see old or new, never half
    return target


def append_to_table(source: Path, table: Path) -> Path:
    """The naive way: add the export to one growing file; a re-run adds the same rows again."""
    frame = load_table(source)
    if table.exists():
        frame = pd.concat([load_table(table), frame], ignore_index=True)
    return write_table(frame, table)
# --8<-- [end:ingest]


def read_lake(lake: Path) -> pd.DataFrame:
    """Read every partition; the folder names become a ``snapshot_date`` column."""
    return pd.read_parquet(lake)


def exports(folder: Path) -> dict[date, Path]:
    """Write one CSV export per day, as the billing system would drop them."""
    return {day: write_table(generate_customers(ROWS, seed=day.toordinal()), folder / f"export-{day}.csv")
            for day in DAYS}


def run(folder: Path) -> dict:
    """Land day 1, day 1 again (a retry) and day 2, both ways; then try two bad files."""
    files = exports(folder)
    lake, table = folder / "lake" / "customers", folder / "appended" / "customers.parquet"
    counts = {"append": [], "partition": []}
    for day in (DAYS[0], DAYS[0], DAYS[1]):
        counts["append"].append(len(load_table(append_to_table(files[day], table))))
        ingest_partition(files[day], lake, day)
        counts["partition"].append(len(read_lake(lake)))
    lake_frame = read_lake(lake)
    appended = load_table(table)
    broken = folder / "export-2026-11-04.csv"
    generate_customers(50, seed=4).drop(columns="TotalCharges").to_csv(broken, index=False)
    errors = []
    for bad in (broken, folder / "export-2026-11-05.csv"):
        try:
            ingest_partition(bad, lake, date(2026, 11, 4))
        except DataError as error:
            errors.append(str(error).replace(str(folder), "<tmp>"))
    return {"counts": counts, "duplicate_ids_appended": int(appended["customerID"].duplicated().sum()),
            "partitions": sorted(str(value) for value in lake_frame["snapshot_date"].unique()),
            "files": sorted(path.relative_to(lake).as_posix() for path in lake.rglob("*") if path.is_file()),
            "errors": errors}


def report(result: dict) -> list[str]:
    """The lines the lecture tells you to read."""
    steps = ("day 1", "day 1 again", "day 2")
    lines = [f"{ROWS} customers per daily export; land day 1, retry day 1, land day 2", ""]
    for way, label in (("append", "append to one file"), ("partition", "overwrite date partition")):
        counts = ", ".join(f"{step}: {count}" for step, count in zip(steps, result["counts"][way], strict=True))
        lines.append(f"{label:<25} rows after {counts}")
    lines += [f"duplicate customerIDs in the appended file: {result['duplicate_ids_appended']}",
              f"partitions in the lake: {', '.join(result['partitions'])}",
              f"files in the lake: {', '.join(result['files'])}", "", "refused at the door:"]
    lines += [f"  {error}" for error in result["errors"]]
    return lines


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="s05-ingest-") as tmp:
        print("\n".join(report(run(Path(tmp)))))
