"""Lecture 5.1: Parquet is smaller than CSV, reads only the columns asked for, and keeps every type."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples/lectures/s05/storage_formats.py"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def measured(script) -> dict:
    return script["measure"](rows=4_000, seed=3, repeats=1)


def test_every_parquet_file_is_much_smaller_than_the_csv(measured):
    formats = measured["formats"]
    csv = formats["CSV"]["bytes"]
    for name in ("Parquet, none", "Parquet, snappy", "Parquet, zstd"):
        assert formats[name]["bytes"] < 0.5 * csv, name
    assert formats["Parquet, snappy"]["bytes"] < formats["Parquet, none"]["bytes"]
    assert formats["Parquet, zstd"]["bytes"] < formats["Parquet, none"]["bytes"]


def test_a_column_subset_reads_only_those_columns(script, measured):
    for row in measured["formats"].values():
        assert row["columns_read"] == script["SUBSET"]
    assert measured["subset_share"] < 0.25, "3 small columns should be a small part of the file"


def test_parquet_keeps_every_type_and_csv_does_not(measured):
    assert measured["columns"] == 22
    for codec in ("none", "snappy", "zstd"):
        assert measured["formats"][f"Parquet, {codec}"]["changed"] == {}
    csv = measured["formats"]["CSV"]["changed"]
    assert csv["Contract"] == ("category", "str")
    assert csv["snapshot_date"][0].startswith("datetime64") and csv["snapshot_date"][1] == "str"
    assert len(csv) == 17, "16 categorical columns and the date come back as text"
    assert "tenure" not in csv and "MonthlyCharges" not in csv, "plain numbers are guessed right"


def test_a_blank_turns_a_csv_number_column_into_text(measured):
    assert measured["blanks"] > 0
    assert measured["raw_total_charges_type"] != "float64"


def test_changed_types_compares_column_by_column(script):
    import pandas as pd

    before = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    after = before.assign(a=[1.0, 2.0])
    assert script["changed_types"](before, after) == {"a": ("int64", "float64")}


def test_the_report_names_sizes_and_type_changes(script, measured):
    text = "\n".join(script["report"](measured))
    assert "Parquet, zstd" in text and "MB" in text
    assert "Parquet, snappy  0 columns changed type" in text
    assert "CSV              17 columns changed type" in text
    assert "category -> str: gender and 15 more" in text


def test_the_lab_commands(tmp_path, capsys):
    import pyarrow.parquet as pq
    from churn.cli import main as churn

    path = tmp_path / "customers.parquet"
    assert churn(["generate", "--rows", "1000", "--output", str(path)]) == 0
    assert churn(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "wrote 1000 rows" in out and "validation: 1000 rows in, 1000 rows out: OK" in out
    assert "TotalCharges | blank in first month | 2    | fixed" in out
    schema = pq.ParquetFile(path).schema_arrow
    assert str(schema.field("tenure").type) == "int64" and str(schema.field("MonthlyCharges").type) == "double"
    assert str(schema.field("TotalCharges").type) == "large_string"


def test_an_id_column_is_most_of_the_bytes(script, tmp_path):
    _, typed = script["customers"](rows=4_000, seed=3)
    path = script["write_formats"](typed, tmp_path)["Parquet, snappy"]
    assert 0.35 < script["subset_share"](path, ["customerID", "tenure", "Churn"]) < 0.7
