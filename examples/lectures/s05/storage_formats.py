"""Lecture 5.1: CSV or Parquet? Measure size, read time and types on 100,000 generated customers.

Run it from the repository root::

    python examples/lectures/s05/storage_formats.py

Everything is written to a temporary folder that is deleted at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from churn.features import CATEGORICAL_COLUMNS
from churn.generate import generate_customers
from churn.validate import validate

ROWS = 100_000
SEED = 42
SNAPSHOT = pd.Timestamp("2026-11-02")
SUBSET = ["tenure", "Contract", "Churn"]  # 3 of the 22 columns
REPEATS = 5


def customers(rows: int = ROWS, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the raw generated table and the typed table a pipeline works with.

    The typed table is the validated one with its 16 categorical columns as pandas ``category``
    and the date of the snapshot as a real date: 22 columns.
    """
    raw = generate_customers(rows, seed=seed)
    clean, _ = validate(raw)
    as_categories = {name: clean[name].astype("category") for name in [*CATEGORICAL_COLUMNS, "Churn"]}
    return raw, clean.assign(**as_categories, snapshot_date=SNAPSHOT)


# --8<-- [start:write_formats]
def write_formats(frame: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write ``frame`` once as CSV and three times as Parquet (no compression, snappy, zstd)."""
    paths = {"CSV": folder / "customers.csv"}
    frame.to_csv(paths["CSV"], index=False)
    for codec in ("none", "snappy", "zstd"):
        paths[f"Parquet, {codec}"] = folder / f"customers-{codec}.parquet"
        frame.to_parquet(paths[f"Parquet, {codec}"], engine="pyarrow", index=False,
                         compression=None if codec == "none" else codec)
    return paths
# --8<-- [end:write_formats]


def best_of(read: Callable[[], pd.DataFrame], repeats: int = REPEATS) -> tuple[float, pd.DataFrame]:
    """Run ``read`` ``repeats`` times; return the fastest time in seconds and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = read()
        best = min(best, time.perf_counter() - started)
    return best, result


# --8<-- [start:read_subset]
def read_all(path: Path) -> pd.DataFrame:
    """Read every column; CSV makes pandas guess each column's type from the text."""
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def read_subset(path: Path, columns: list[str] = SUBSET) -> pd.DataFrame:
    """Read only ``columns``: Parquet skips the other columns' bytes, CSV still parses every line."""
    if path.suffix == ".csv":
        return pd.read_csv(path, usecols=columns)
    return pd.read_parquet(path, columns=columns)


def subset_share(path: Path, columns: list[str] = SUBSET) -> float:
    """Share of a Parquet file's column-chunk bytes that belong to ``columns`` (from its footer)."""
    metadata = pq.ParquetFile(path).metadata
    sizes: dict[str, int] = {}
    for group in range(metadata.num_row_groups):
        for index in range(metadata.num_columns):
            chunk = metadata.row_group(group).column(index)
            sizes[chunk.path_in_schema] = sizes.get(chunk.path_in_schema, 0) + chunk.total_compressed_size
    return sum(sizes[name] for name in columns) / sum(sizes.values())
# --8<-- [end:read_subset]


# --8<-- [start:changed_types]
def changed_types(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Columns whose type is not the same after a round trip: name -> (type before, type after)."""
    return {name: (str(before[name].dtype), str(after[name].dtype)) for name in before.columns
            if str(before[name].dtype) != str(after[name].dtype)}
# --8<-- [end:changed_types]


def measure(rows: int = ROWS, seed: int = SEED, repeats: int = REPEATS) -> dict:
    """Write, read and compare every format; return sizes, times, type changes and the blank-column check."""
    raw, typed = customers(rows, seed)
    with tempfile.TemporaryDirectory(prefix="s05-formats-") as tmp:
        folder = Path(tmp)
        paths = write_formats(typed, folder)
        results = {}
        for name, path in paths.items():
            seconds_all, frame = best_of(lambda path=path: read_all(path), repeats)
            seconds_subset, subset = best_of(lambda path=path: read_subset(path), repeats)
            results[name] = {"bytes": path.stat().st_size, "read_all": seconds_all, "read_subset": seconds_subset,
                             "columns_read": list(subset.columns), "changed": changed_types(typed, frame)}
        share = subset_share(paths["Parquet, snappy"])
        raw_csv = folder / "raw.csv"
        raw.to_csv(raw_csv, index=False)
        blanks = int((raw["TotalCharges"] == " ").sum())
        total_charges_type = str(pd.read_csv(raw_csv)["TotalCharges"].dtype)
    return {"rows": len(typed), "columns": typed.shape[1], "formats": results, "subset_share": share,
            "blanks": blanks, "raw_total_charges_type": total_charges_type}


def report(result: dict) -> list[str]:
    """Format the measurements as the lines the lecture tells you to read."""
    formats = result["formats"]
    csv_bytes = formats["CSV"]["bytes"]
    lines = [f"{result['rows']} customers, {result['columns']} columns; best of {REPEATS} reads",
             "", f"{'format':<22} {'size':>8} {'vs CSV':>7} {'read all':>9} {'read 3 cols':>12}"]
    for name, row in formats.items():
        lines.append(f"{name:<22} {row['bytes'] / 1e6:>5.2f} MB {row['bytes'] / csv_bytes:>7.0%} "
                     f"{row['read_all'] * 1000:>6.0f} ms {row['read_subset'] * 1000:>9.0f} ms")
    lines += ["", f"3 columns read: {', '.join(formats['Parquet, snappy']['columns_read'])}; they hold "
              f"{result['subset_share']:.0%} of the snappy file's column bytes", "",
              f"types after the round trip ({result['columns']} columns):"]
    for name in ("CSV", "Parquet, snappy"):
        changed = formats[name]["changed"]
        lines.append(f"  {name:<16} {len(changed)} columns changed type")
        kinds: dict[tuple[str, str], list[str]] = {}
        for column, change in changed.items():
            kinds.setdefault(change, []).append(column)
        for (before, after), columns in kinds.items():
            example = columns[0] if len(columns) == 1 else f"{columns[0]} and {len(columns) - 1} more"
            lines.append(f"    {before} -> {after}: {example}")
    lines += ["", f"raw CSV with {result['blanks']} blank TotalCharges, read with pandas defaults: "
              f"TotalCharges is {result['raw_total_charges_type']}, not float64"]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
