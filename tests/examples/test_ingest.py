"""Loading customer tables: CSV and Parquet round trips, and every unusable file as a DataError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from churn.contract import column_names
from churn.generate import Quality, generate_customers, write_table
from churn.ingest import DataError, load_records, load_table
from churn.validate import validate


@pytest.fixture(scope="module")
def with_blanks() -> pd.DataFrame:
    """300 customers, a few with a blank TotalCharges (the public data's format)."""
    frame = generate_customers(300, seed=2, quality=Quality(blank_total_charges_share=0.02))
    assert (frame["TotalCharges"] == " ").sum() >= 6
    return frame


def test_csv_round_trip_keeps_blanks_as_blanks(tmp_path, with_blanks):
    path = write_table(with_blanks, tmp_path / "customers.csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(column_names())
    loaded = load_table(path)
    assert list(loaded.columns) == column_names()
    blank = with_blanks["TotalCharges"] == " "
    assert (loaded.loc[blank, "TotalCharges"] == " ").all()
    numbers = pd.to_numeric(loaded.loc[~blank, "TotalCharges"])
    assert numbers.tolist() == with_blanks.loc[~blank, "TotalCharges"].tolist()
    pd.testing.assert_frame_equal(validate(loaded)[0], validate(with_blanks)[0])


def test_parquet_round_trip(tmp_path):
    frame = generate_customers(200, seed=9)
    assert frame["TotalCharges"].dtype == "float64"
    pd.testing.assert_frame_equal(load_table(write_table(frame, tmp_path / "customers.parquet")), frame)


def test_parquet_round_trip_with_blanks(tmp_path, with_blanks):
    loaded = load_table(write_table(with_blanks, tmp_path / "nested" / "customers.PARQUET"))
    assert ((loaded["TotalCharges"] == " ") == (with_blanks["TotalCharges"] == " ")).all()
    pd.testing.assert_frame_equal(validate(loaded)[0], validate(with_blanks)[0])


def test_missing_values_survive_a_csv_round_trip(tmp_path):
    frame = generate_customers(400, seed=3, quality=Quality(null_share=0.05))
    loaded = load_table(write_table(frame, tmp_path / "nulls.csv"))
    assert validate(loaded)[1].to_dict() == validate(frame)[1].to_dict()


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.csv: no such file; check the path"):
        load_table(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("name", ["customers.xlsx", "customers"])
def test_unsupported_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{name}: unsupported file type .*\.csv or \.parquet"):
        load_table(path)
    with pytest.raises(DataError, match=rf"{name}: cannot write"):
        write_table(generate_customers(3), path)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DataError, match=r"broken\.parquet: not a readable Parquet file"):
        load_table(path)


def test_csv_that_is_not_text(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"customerID,tenure\n\xff\xfe\x00\x81,1\n")
    with pytest.raises(DataError, match=r"binary\.csv: not UTF-8 text"):
        load_table(path)


def test_malformed_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text('a,b\n1,2\n3,4,5,6\n"unclosed,7\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"ragged\.csv: not a readable CSV file"):
        load_table(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DataError, match=rf"{name}: the file is empty"):
        load_table(path)


def test_blank_lines_only(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"blank\.csv: not a readable CSV file"):
        load_table(path)


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(column_names()) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"header\.csv: the table has no rows"):
        load_table(path)


def test_parquet_without_rows(tmp_path):
    path = write_table(generate_customers(0), tmp_path / "none.parquet")
    with pytest.raises(DataError, match=r"none\.parquet: the table has no rows"):
        load_table(path)


def test_a_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(DataError, match=r"data\.csv: is a folder, not a file"):
        load_table(folder)


def test_load_records_reads_json_or_says_where_it_breaks(tmp_path):
    one = tmp_path / "one.json"
    one.write_text('{"customerID": "7590-VHVEG", "MonthlyCharges": NaN, "TotalCharges": -Infinity}')
    assert load_records(one) == [{"customerID": "7590-VHVEG", "MonthlyCharges": "NaN", "TotalCharges": "-Infinity"}]
    broken = tmp_path / "broken.json"
    broken.write_text('[{"tenure": 1},\n {"tenure": 2,}]')
    with pytest.raises(DataError, match=r"broken.json: not valid JSON at line 2 column 15"):
        load_records(broken)
    listed = tmp_path / "listed.json"
    listed.write_text('[{"tenure": 1}, [2]]')
    with pytest.raises(DataError, match=r"listed.json: item 1 of the list \(0-based\) is a list \(\[2\]\)"):
        load_records(listed)
    table = tmp_path / "t.csv"
    write_table(generate_customers(3, seed=1), table)
    assert [record["customerID"] for record in load_records(table)] == \
        generate_customers(3, seed=1)["customerID"].tolist()
