"""Lecture 5.2: a re-run of the partition ingestion changes nothing; appending duplicates; bad files are refused."""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path

import pytest
from churn.generate import generate_customers, write_table
from churn.ingest import DataError

SCRIPT = Path(__file__).resolve().parents[2] / "examples/lectures/s05/idempotent_ingest.py"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def result(script, tmp_path_factory) -> dict:
    return script["run"](tmp_path_factory.mktemp("ingest"))


def test_a_retry_doubles_the_appended_file_but_not_the_partition(result):
    assert result["counts"]["append"] == [1000, 2000, 3000]
    assert result["counts"]["partition"] == [1000, 1000, 2000]
    assert result["duplicate_ids_appended"] == 1000


def test_the_lake_has_one_file_per_day_and_no_staging_leftovers(result):
    assert result["partitions"] == ["2026-11-02", "2026-11-03"]
    assert result["files"] == ["snapshot_date=2026-11-02/part-0.parquet", "snapshot_date=2026-11-03/part-0.parquet"]


def test_bad_files_are_refused_with_the_reason(result):
    missing_column, missing_file = result["errors"]
    assert "missing contract column(s) ['TotalCharges']" in missing_column and "nothing landed" in missing_column
    assert "export-2026-11-05.csv: no such file" in missing_file


def test_a_refused_file_leaves_the_partition_as_it_was(script, tmp_path):
    lake = tmp_path / "lake"
    good = write_table(generate_customers(20, seed=1), tmp_path / "good.csv")
    target = script["ingest_partition"](good, lake, date(2026, 11, 2))
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    generate_customers(20, seed=2).drop(columns=["tenure", "Churn"]).to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"missing contract column\(s\) \['tenure', 'Churn'\]"):
        script["ingest_partition"](bad, lake, date(2026, 11, 2))
    assert target.read_bytes() == before
    assert [path.name for path in target.parent.iterdir()] == ["part-0.parquet"]


def test_the_report_shows_both_ways(script, result):
    text = "\n".join(script["report"](result))
    assert "append to one file        rows after day 1: 1000, day 1 again: 2000, day 2: 3000" in text
    assert "overwrite date partition  rows after day 1: 1000, day 1 again: 1000, day 2: 2000" in text
    assert "<tmp>/export-2026-11-04.csv: missing contract column(s)" in text


def test_the_lab_commands(tmp_path, capsys):
    from churn.cli import main as churn

    sheet = tmp_path / "customers.xlsx"
    sheet.touch()
    assert churn(["validate", str(sheet)]) == 2
    assert "customers.xlsx: unsupported file type '.xlsx'; save the table as .csv or .parquet" in \
        capsys.readouterr().err
    header = tmp_path / "header.csv"
    header.write_text("customerID,tenure\n")
    assert churn(["validate", str(header)]) == 2
    assert "the table has no rows (columns: ['customerID', 'tenure']); export it again with its data" in \
        capsys.readouterr().err


def test_partitions_with_different_types_fail_or_cast_as_the_page_says(tmp_path):
    """The pitfall on the page: the first file's schema wins when pyarrow reads a partitioned folder."""
    import pandas as pd
    import pyarrow as pa

    def lake(first: pd.Series, second: pd.Series):
        root = tmp_path / f"lake-{first.dtype}"
        for day, values in (("2026-11-02", first), ("2026-11-03", second)):
            (root / f"snapshot_date={day}").mkdir(parents=True)
            pd.DataFrame({"TotalCharges": values}).to_parquet(root / f"snapshot_date={day}" / "part-0.parquet")
        return root

    numbers, text = pd.Series([29.85, 1889.5]), pd.Series(["108.15", " "])
    with pytest.raises(pa.ArrowInvalid, match="Failed to parse string: ' '"):
        pd.read_parquet(lake(numbers, text))
    mixed = pd.read_parquet(lake(text, numbers))
    assert mixed["TotalCharges"].tolist()[-2:] == ["29.85", "1889.5"], "numbers silently became text"
