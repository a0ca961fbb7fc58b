"""Batch scoring: ``churn score`` scores a Parquet or CSV file in chunks as ``churn predict`` would, whole or not."""

from __future__ import annotations

import json
import re
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_REGISTRY, main
from churn.config import load_config
from churn.generate import Quality, generate_customers, write_table
from churn.governance.approvals import Approval, promote
from churn.model_bundle import export_champion
from churn.predict import load_champion, predict
from churn.scoring import OUTPUT_COLUMNS, score_file
from churn.tracking import log_run
from churn.train import load_training_data, train

ROWS = 150


@pytest.fixture(scope="module")
def champion(tmp_path_factory) -> tuple[str, str]:
    """A registry of its own with a promoted champion, and the same model as a bundle folder."""
    folder = tmp_path_factory.mktemp("scoring-mlflow")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri})
    data = load_training_data(config)
    log_run(train(config, data), config)
    assert promote(config, data.test, Approval("ana", "first model, meets the gate")).promoted
    export_champion(folder / "bundle", tracking_uri)
    return tracking_uri, str(folder / "bundle")


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """Customers to score, blanks in TotalCharges included (filled as churn predict fills them)."""
    frame = generate_customers(ROWS, seed=21, quality=Quality(blank_total_charges_share=0.05))
    assert frame["TotalCharges"].eq(" ").sum() >= 5
    return frame.drop(columns=["Churn"])


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def read_scores(path) -> pd.DataFrame:
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)


def test_scores_equal_churn_predict_on_the_same_rows(champion, customers, tmp_path, capsys):
    tracking_uri, _ = champion
    source, output = tmp_path / "customers.csv", tmp_path / "scores.parquet"
    write_table(customers, source)
    code, out, err = run(["score", str(source), "--output", str(output), "--tracking-uri", tracking_uri], capsys)
    assert code == EXIT_OK, err
    scores = read_scores(output)
    assert list(scores.columns) == list(OUTPUT_COLUMNS) and len(scores) == ROWS

    code, printed, err = run(["predict", str(source), "--tracking-uri", tracking_uri], capsys)
    assert code == EXIT_OK, err
    predicted = pd.DataFrame([json.loads(line) for line in printed.splitlines()])
    assert scores["customerID"].tolist() == predicted["customerID"].tolist() == customers["customerID"].tolist()
    assert np.max(np.abs(scores["churn_probability"] - predicted["churn_probability"])) <= 1e-6
    assert scores["churn"].tolist() == predicted["churn"].tolist()
    assert set(scores["model_version"]) == set(predicted["model_version"]) == {"1"}

    exact = predict(customers.to_dict(orient="records"), load_champion(tracking_uri))  # unrounded, in memory
    assert np.array_equal(scores["churn_probability"].to_numpy(), [p.probability for p in exact])
    run_id = scores["scoring_run_id"].unique()
    assert len(run_id) == 1 and uuid.UUID(run_id[0]).version == 4
    assert scores["scored_at"].nunique() == 1 and str(scores["scored_at"].dt.tz) == "UTC"
    assert f"scored {ROWS} rows" in out and f"{int(scores['churn'].sum())} at or above the threshold 0.35" in out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunk_boundaries_do_not_change_the_scores(champion, customers, suffix, tmp_path, capsys):
    _, bundle = champion
    source = write_table(customers, tmp_path / f"customers{suffix}")
    results = []
    for rows in (7, 1000):
        output = tmp_path / f"scores-{rows}.parquet"
        code, _, err = run(["score", str(source), "--output", str(output), "--bundle", bundle,
                            "--chunk-rows", str(rows)], capsys)
        assert code == EXIT_OK, err
        results.append(read_scores(output).drop(columns=["scoring_run_id", "scored_at"]))
    assert len(results[0]) == ROWS
    pd.testing.assert_frame_equal(results[0], results[1])


def test_csv_and_parquet_in_and_out_give_the_same_scores(champion, customers, tmp_path):
    from churn.model_bundle import load_bundle

    predictor = load_bundle(champion[1])
    tables = {}
    for source_suffix in (".csv", ".parquet"):
        source = write_table(customers, tmp_path / f"customers{source_suffix}")
        for output_suffix in (".csv", ".parquet"):
            output = tmp_path / f"scores-{source_suffix[1:]}{output_suffix}"
            result = score_file(source, output, predictor, chunk_rows=40, run_id="run-1")
            assert result.rows == ROWS and result.run_id == "run-1"
            tables[source_suffix, output_suffix] = read_scores(output)
    reference = tables[".parquet", ".parquet"]
    for frame in tables.values():
        assert frame["customerID"].tolist() == reference["customerID"].tolist()
        assert frame["churn_probability"].tolist() == reference["churn_probability"].tolist()  # 17 digits in CSV
        assert frame["churn"].tolist() == reference["churn"].tolist()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tables[".csv", ".csv"]["scored_at"].iloc[0])


def test_a_churn_column_a_pandas_index_and_categorical_columns_are_read_as_predict_reads_them(champion, customers,
                                                                                            tmp_path):
    from churn.model_bundle import load_bundle

    predictor = load_bundle(champion[1])
    plain = score_file(write_table(customers, tmp_path / "plain.parquet"), tmp_path / "plain-scores.parquet",
                       predictor)
    labelled = generate_customers(ROWS, seed=21, quality=Quality(blank_total_charges_share=0.05))
    categorical = labelled.astype({"Contract": "category", "PaymentMethod": "category", "TotalCharges": str})
    categorical.index = categorical.index + 1000  # written by pandas as a column __index_level_0__
    categorical.to_parquet(tmp_path / "categorical.parquet", index=True)
    other = score_file(tmp_path / "categorical.parquet", tmp_path / "categorical-scores.parquet", predictor)
    assert other.rows == plain.rows == ROWS
    pd.testing.assert_series_equal(read_scores(tmp_path / "plain-scores.parquet")["churn_probability"],
                                   read_scores(tmp_path / "categorical-scores.parquet")["churn_probability"])


def _with_value(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    frame = frame.astype({column: object})
    frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("MonthlyCharges", "nan", "MonthlyCharges: type ('nan' is not a number)"),
    ("TotalCharges", "inf", "TotalCharges: range ('inf' is not a finite number)"),
    ("Contract", "Weekly", "Contract: allowed values ('Weekly' not in"),
    ("gender", "", "gender: required (value is missing)"),
    ("customerID", "12345", "customerID: format ('12345' is not like 7590-VHVEG)"),
])
def test_a_record_that_breaks_the_contract_refuses_the_file_and_names_the_record(champion, customers, column, value,
                                                                                problem, tmp_path, capsys):
    _, bundle = champion
    bad_row = ROWS - 3  # in the last chunk: the chunks before it were scored and written to the partial file
    frame = _with_value(_with_value(customers, bad_row, column, value), 5, column, value)
    source, output = tmp_path / "customers.csv", tmp_path / "scores.parquet"
    write_table(frame, source)
    output.write_bytes(b"last week's list")
    code, out, err = run(["score", str(source), "--output", str(output), "--bundle", bundle, "--chunk-rows", "50"],
                         capsys)
    assert code == EXIT_REFUSED, err
    [line] = err.strip().splitlines()
    assert line.startswith("error: a record to score breaks the contract; nothing was scored: ")
    identifier = frame.loc[bad_row, "customerID"]
    assert f"record {bad_row} (customerID {identifier!r}): {problem}" in line
    assert "record 5 (customerID" in line, "every bad record is named, not only those of the first chunk"
    assert out == "" and "Traceback" not in err
    assert output.read_bytes() == b"last week's list", "the output is replaced whole or not at all"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["customers.csv", "scores.parquet"]


def test_many_bad_records_are_counted_and_the_first_ones_named(champion, customers, tmp_path, capsys):
    frame = customers.astype({"tenure": object})
    frame.loc[10:, "tenure"] = "73"
    source = write_table(frame, tmp_path / "customers.parquet")
    code, _, err = run(["score", str(source), "--output", str(tmp_path / "s.csv"), "--bundle", champion[1],
                        "--chunk-rows", "20"], capsys)
    assert code == EXIT_REFUSED
    assert err.count("tenure: range (73 > maximum 72)") == 5 and f"{ROWS - 10} records in all break it" in err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(("change", "named"), [
    (lambda frame: frame.drop(columns=["Contract"]), "missing column 'Contract'"),
    (lambda frame: frame.assign(region="north"), "unknown column 'region' (not in the contract: drop it)"),
    (lambda frame: frame.rename(columns={"tenure": "Tenure"}), "missing column 'tenure'; unknown column 'Tenure'"),
])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_wrong_column_set_is_refused_naming_the_column(champion, customers, change, named, suffix, tmp_path,
                                                        capsys):
    source = write_table(change(customers), tmp_path / f"customers{suffix}")
    code, out, err = run(["score", str(source), "--output", str(tmp_path / "s.parquet"), "--bundle", champion[1]],
                         capsys)
    assert code == EXIT_REFUSED, err
    assert named in err and str(source) in err and out == ""
    assert not (tmp_path / "s.parquet").exists()


BAD_FILES = {
    "missing.csv": None,
    "empty.csv": b"",
    "header.csv": b"customerID,gender\n",
    "garbage.parquet": b"PAR1 but not really",
    "latin1.csv": "customerID,gender\n7590-VHVEG,F\xe9male\n".encode("latin-1"),
    "ragged.csv": b"customerID,gender\n7590-VHVEG,Female,extra\n",
    "notes.txt": b"not a table",
}


@pytest.mark.parametrize(("name", "named"), [
    ("missing.csv", "missing.csv: no such file"),
    ("empty.csv", "empty.csv: the file is empty"),
    ("garbage.parquet", "garbage.parquet: not a readable Parquet file"),
    ("latin1.csv", "latin1.csv: not a readable CSV file"),
    ("ragged.csv", "ragged.csv: not a readable CSV file"),
    ("notes.txt", "notes.txt: unsupported file type '.txt'"),
])
def test_an_unreadable_file_is_exit_2_naming_it(champion, name, named, tmp_path, capsys):
    for file, content in BAD_FILES.items():
        if content is not None:
            (tmp_path / file).write_bytes(content)
    code, out, err = run(["score", str(tmp_path / name), "--output", str(tmp_path / "s.parquet"),
                          "--bundle", champion[1]], capsys)
    assert code == EXIT_BAD_INPUT, err
    [line] = err.strip().splitlines()
    assert line.startswith("error: ") and named in line and out == "" and "Traceback" not in err
    assert not (tmp_path / "s.parquet").exists()


def test_a_header_without_rows_is_exit_2(champion, customers, tmp_path, capsys):
    source = tmp_path / "header.csv"
    source.write_text(",".join(customers.columns) + "\n", encoding="utf-8")
    code, _, err = run(["score", str(source), "--output", str(tmp_path / "s.parquet"), "--bundle", champion[1]],
                       capsys)
    assert code == EXIT_BAD_INPUT and "the table has no rows" in err
    assert not (tmp_path / "s.parquet").exists()


@pytest.mark.parametrize(("argv", "code", "named"), [
    (["--output", "scores.json"], EXIT_BAD_INPUT, "argument --output: scores.json: name the file with one of"),
    (["--output", "customers.csv"], EXIT_BAD_INPUT, "customers.csv: is the input file"),
    (["--output", "s.csv", "--chunk-rows", "0"], EXIT_BAD_INPUT, "argument --chunk-rows: must be a whole number"),
    (["--output", "s.csv", "--bundle", "nowhere"], EXIT_BAD_INPUT, "nowhere/bundle.json: no such file"),
    (["--output", "s.csv", "--tracking-uri", "sqlite:///empty.db"], EXIT_REGISTRY, "train and promote one first"),
])
def test_bad_arguments_and_a_missing_model_say_what_to_do(customers, argv, code, named, tmp_path, monkeypatch,
                                                          capsys):
    monkeypatch.chdir(tmp_path)
    write_table(customers, tmp_path / "customers.csv")
    before = sorted(path.name for path in tmp_path.iterdir())
    found, out, err = run(["score", "customers.csv", *argv], capsys)
    assert found == code, err
    assert named in err and out == "" and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir() if path.name != "empty.db") == before


def test_the_output_is_whole_parquet_with_typed_columns(champion, customers, tmp_path):
    from churn.model_bundle import load_bundle

    output = tmp_path / "scores.parquet"
    score_file(write_table(customers, tmp_path / "c.csv"), output, load_bundle(champion[1]), chunk_rows=50)
    parquet = pq.ParquetFile(output)
    assert parquet.metadata.num_rows == ROWS and parquet.metadata.num_row_groups == 3  # one per chunk
    assert parquet.schema_arrow.field("churn_probability").type == pa.float64()
    assert parquet.schema_arrow.field("churn").type == pa.bool_()
    assert parquet.schema_arrow.field("scored_at").type == pa.timestamp("ms", tz="UTC")  # Parquet: no seconds unit


@pytest.mark.parametrize("column", ["gender", "Contract", "tenure", "SeniorCitizen"])
def test_a_null_in_a_parquet_column_checked_by_its_distinct_values_is_refused_as_predict_refuses_it(
        champion, customers, column, tmp_path, capsys):
    """A Parquet null among a category's dictionary codes (or tenure's) is a missing value: exit 1, named."""
    frame = customers.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[4, column] = None
    source = write_table(frame, tmp_path / "customers.parquet")
    assert pq.read_table(source).column(column).null_count == 1
    code, out, err = run(["score", str(source), "--output", str(tmp_path / "s.parquet"), "--bundle", champion[1]],
                         capsys)
    assert code == EXIT_REFUSED, err
    assert f"record 4 (customerID {frame.loc[4, 'customerID']!r}): {column}: required (value is missing)" in err
    assert out == "" and "Traceback" not in err and not (tmp_path / "s.parquet").exists()
