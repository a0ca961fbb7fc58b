"""TotalCharges: one parse function for validation, ``churn predict`` and the service, batch scoring and drift."""

from __future__ import annotations

import math

import churn.monitoring.windows
import churn.predict
import churn.scoring
import churn.validate
import numpy as np
import pytest
from churn.contract import parse_total_charges
from churn.generate import Quality, generate_customers, write_table
from churn.predict import total_charges, total_charges_of
from churn.scoring import score_file
from churn.validate import validate


def test_every_path_fills_blanks_with_the_contracts_one_function():
    for module in (churn.validate, churn.predict, churn.scoring, churn.monitoring.windows):
        assert module.parse_total_charges is parse_total_charges, module.__name__


def test_the_rule_zero_in_the_first_month_else_tenure_times_monthly():
    values = [" ", None, math.nan, "", "61.5", 12.0, " 7 "]
    tenure = [0, 3, 3, 0, 5, 1, 1]
    filled = parse_total_charges(values, tenure, [20.0] * 7)
    assert filled.dtype == np.float64 and filled.tolist() == [0.0, 60.0, 60.0, 0.0, 61.5, 12.0, 7.0]
    assert parse_total_charges([None], [3], [20.1]).tolist() == [3 * 20.1], "scoring keeps the product as it is"
    assert parse_total_charges([None], [3], [20.1], decimals=2).tolist() == [60.3], "validation rounds to cents"
    assert total_charges({"tenure": 3, "MonthlyCharges": 20.0}) == 60.0, "a missing key is a blank"
    with pytest.raises(ValueError, match="digit separators"):
        parse_total_charges(["1_0"], [1], [10.0])


class Capture:
    """A predictor for score_file that keeps the inputs it is given."""

    model_version, threshold = "1", 0.5

    def __init__(self) -> None:
        self.totals: list[np.ndarray] = []

    def predict_columns(self, numbers, categories):
        self.totals.append(numbers["TotalCharges"])
        return np.zeros(len(numbers["TotalCharges"]))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_validation_predict_and_batch_scoring_fill_the_same_values(tmp_path, suffix):
    frame = generate_customers(300, seed=3, quality=Quality(blank_total_charges_share=0.1))
    frame.loc[0, ["tenure", "TotalCharges"]] = [0, " "]  # a first-month customer
    blank = frame["TotalCharges"].eq(" ").to_numpy()
    assert blank.sum() >= 10
    records = frame.drop(columns=["Churn"]).to_dict("records")
    predicted = total_charges_of(records)
    assert predicted[0] == 0.0 and np.isfinite(predicted).all()
    capture = Capture()
    path = write_table(frame.drop(columns=["Churn"]), tmp_path / f"customers{suffix}")
    score_file(path, tmp_path / "scores.parquet", capture, chunk_rows=128)
    np.testing.assert_array_equal(np.concatenate(capture.totals), predicted)  # the same floats, not nearly
    clean, report = validate(frame)
    assert report.ok and len(clean) == len(frame)
    np.testing.assert_array_equal(clean["TotalCharges"].to_numpy(), np.where(blank, predicted.round(2), predicted))


def test_the_drift_window_fills_blanks_and_refuses_text_that_is_no_number():
    from churn.ingest import DataError
    from churn.monitoring.windows import model_inputs

    frame = generate_customers(20, seed=1).astype({"TotalCharges": object})
    frame.loc[2, ["tenure", "TotalCharges"]] = [0, " "]
    assert model_inputs(frame, "w.csv").loc[2, "TotalCharges"] == 0.0
    for text in ("nan", "1_0"):
        frame.loc[3, "TotalCharges"] = text
        with pytest.raises(DataError, match=f"w.csv, data row 4: column 'TotalCharges' holds '{text}', not a"):
            model_inputs(frame, "w.csv")
