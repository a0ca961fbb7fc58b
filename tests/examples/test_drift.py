"""Drift monitoring: the statistics on known cases, the windows, the report and ``churn drift`` end to end."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGISTRY, main
from churn.config import MonitoringConfig, load_config
from churn.contract import feature_columns
from churn.generate import NEW_PAYMENT_METHOD, Drift, generate_customers, write_table
from churn.ingest import DataError
from churn.monitoring import drift as drift_module
from churn.monitoring.drift import (
    EPSILON,
    bin_counts,
    categorical_drift,
    compare,
    data_drift,
    feature_kind,
    is_drifted,
    numeric_drift,
    prediction_drift,
    psi,
    quantile_edges,
)
from churn.monitoring.report import render_html, summary, to_json
from churn.monitoring.windows import REFERENCE_ARTIFACT, Window, model_inputs, read_prediction_log, reference_from_file
from churn.predict import Prediction, load_champion
from churn.service.prediction_log import PredictionLog, format_lines

RULE = MonitoringConfig()
T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def window(rows: int, seed: int, drift: Drift | None = None) -> pd.DataFrame:
    """Generated customers as model inputs, through the same checks a --reference file gets."""
    return model_inputs(generate_customers(rows, seed=seed, drift=drift), "generated")


# ---- the statistics ---------------------------------------------------------------------------------

def test_psi_of_known_histograms():
    assert psi(np.array([50, 50]), np.array([50, 50])) == 0.0
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi(np.array([50, 50]), np.array([25, 75])) == pytest.approx(expected) == pytest.approx(0.2747, abs=1e-4)
    assert psi(np.array([25, 75]), np.array([50, 50])) == pytest.approx(expected), "PSI is symmetric"
    # an empty bin: its share is raised to EPSILON instead of making the logarithm infinite
    empty = (0.9 - 1.0) * math.log(0.9) + (0.1 - EPSILON) * math.log(0.1 / EPSILON)
    assert psi(np.array([100, 0]), np.array([90, 10])) == pytest.approx(empty)


def test_quantile_bins_merge_ties_and_keep_values_beyond_the_reference():
    reference = np.array([1.0] * 45 + [2.0] * 15 + [72.0] * 40)
    edges = quantile_edges(reference, 10)
    assert list(edges) == [1.0, 2.0, 72.0], "ten quantiles of three values: three distinct edges, all values"
    counts = bin_counts(np.array([-5.0, 1.0, 1.5, 72.0, 500.0]), edges)
    assert list(counts) == [1, 2, 0, 2], "below the first edge, on or between edges, at or above the last"


def test_feature_kinds_follow_the_contract():
    assert feature_kind("tenure") == feature_kind("TotalCharges") == "numeric"
    assert feature_kind("Contract") == "categorical"
    assert feature_kind("SeniorCitizen") == "categorical", "a 0/1 flag is compared by its shares"


def test_identical_samples_do_not_drift():
    values = np.random.default_rng(0).normal(size=2_000)
    result = numeric_drift("x", values, values, 10, 0.2, 0.01)
    assert (result.psi, result.statistic, result.p_value, result.drifted) == (0.0, 0.0, 1.0, False)
    categories = pd.Series(["a", "b", "b", "c"] * 100)
    result = categorical_drift("y", categories, categories, 0.2, 0.01)
    assert (result.psi, result.p_value, result.drifted, result.new_categories) == (0.0, 1.0, False, ())


def test_an_unseen_category_is_named_and_drifts_only_when_it_matters():
    reference = pd.Series(["a", "b"] * 5_000)
    tenth = categorical_drift("y", reference, pd.Series(["a", "b"] * 4_500 + ["new"] * 1_000), 0.2, 0.01)
    assert tenth.new_categories == ("new",) and tenth.drifted and tenth.psi > 0.5
    stray = categorical_drift("y", reference, pd.Series(["a", "b"] * 5_000 + ["new"]), 0.2, 0.01)
    assert stray.new_categories == ("new",), "still reported"
    assert not stray.drifted and stray.psi < 0.001, "one stray row among 10,000 is not drift"


def test_the_rule_needs_both_a_large_psi_and_a_small_p_value():
    assert is_drifted(0.25, 0.001, 0.2, 0.01)
    assert not is_drifted(0.25, 0.2, 0.2, 0.01), "large PSI that chance explains (a small window)"
    assert not is_drifted(0.01, 1e-100, 0.2, 0.01), "certain but tiny (a large window)"
    # small windows of one distribution: PSI crosses 0.2 by chance, the p-value does not fall below 0.01
    rng = np.random.default_rng(0)
    pairs = [numeric_drift("x", rng.normal(size=100), rng.normal(size=100), 10, 0.2, 0.01) for _ in range(100)]
    assert sum(item.psi >= 0.2 for item in pairs) > 20
    assert sum(item.drifted for item in pairs) <= 3
    # a large window: a one-month shift is certain (p far below 0.01) and too small to act on
    shifted = data_drift(window(2_000, 3), window(50_000, 103, Drift(tenure_shift_months=1)), RULE, ["tenure"])[0]
    assert shifted.p_value < 1e-10 and shifted.psi < 0.05 and not shifted.drifted


def test_prediction_drift_on_the_scores():
    rng = np.random.default_rng(1)
    reference = rng.beta(2, 5, 8_000)
    assert not prediction_drift(reference, rng.beta(2, 5, 5_000), RULE).drifted
    moved = prediction_drift(reference, rng.beta(3, 3, 5_000), RULE)
    assert moved.drifted and moved.feature == "churn_probability" and moved.test == "ks"
    assert not prediction_drift(reference, rng.beta(3, 3, 5_000), RULE.model_copy(
        update={"prediction_psi_threshold": 10.0})).drifted, "the scores have their own PSI threshold"


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="empty window"):
        data_drift(window(100, 1), window(100, 2).iloc[:0], RULE)


# ---- known cases from the generator's drift switches ------------------------------------------------------

# What each switch reaches by construction (examples/churn/generate.py, _draw_customers): every column
# draws from its own random stream, so a switch changes its column and what is computed from it.
CONTRACT_REACHES = {
    "Contract",
    "tenure",  # _tenure: the power of the draw depends on the contract
    "MultipleLines", "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
    "StreamingMovies",  # probabilities grow with tenure
    "PaymentMethod",  # _payment_method: shares per contract
    "MonthlyCharges",  # _charges: the price of the lines and add-ons taken
    "TotalCharges",  # about tenure x MonthlyCharges
}
CHARGES_REACH = {"MonthlyCharges", "TotalCharges"}
PAYMENT_REACHES = {"PaymentMethod"}  # nothing else is drawn from the payment method


@pytest.fixture(scope="module")
def reference_window() -> pd.DataFrame:
    return window(10_000, 3)


def test_identical_windows_give_no_drift(reference_window):
    result = data_drift(reference_window, reference_window, RULE)
    assert [item.feature for item in result] == feature_columns()
    assert all(item.psi == 0.0 and item.p_value == 1.0 and not item.drifted for item in result)


def test_two_samples_of_the_same_world_give_no_drift(reference_window):
    result = data_drift(reference_window, window(10_000, 103), RULE)
    assert not [item.feature for item in result if item.drifted]
    assert max(item.psi for item in result) < 0.01
    assert min(item.p_value for item in result) > 0.01, "seeds 3 and 103: no chance difference below 0.01"


@pytest.mark.parametrize(("switch", "reached", "drifted"), [
    (Drift(month_to_month_share=0.1), CONTRACT_REACHES, {"Contract", "tenure", "TotalCharges"}),
    (Drift(monthly_charges_factor=1.6), CHARGES_REACH, {"MonthlyCharges", "TotalCharges"}),
    (Drift(monthly_charges_factor=1.3), CHARGES_REACH, {"MonthlyCharges"}),
    (Drift(new_payment_method_share=0.1), PAYMENT_REACHES, {"PaymentMethod"}),
], ids=["fewer-month-to-month", "prices-x1.6", "prices-x1.3", "new-payment-method"])
def test_a_drift_switch_drifts_exactly_the_features_it_reaches(reference_window, switch, reached, drifted):
    result = {item.feature: item for item in data_drift(reference_window, window(10_000, 103, switch), RULE)}
    assert {name for name, item in result.items() if item.drifted} == drifted
    assert {name for name, item in result.items() if item.p_value < RULE.p_value} == reached, (
        "the tests see every feature the switch reaches by construction, and no other")
    assert all(result[name].psi < 0.01 for name in set(result) - reached)


def test_a_new_payment_method_is_named(reference_window):
    current = window(10_000, 103, Drift(new_payment_method_share=0.1))
    payment = next(item for item in data_drift(reference_window, current, RULE) if item.feature == "PaymentMethod")
    assert payment.new_categories == (NEW_PAYMENT_METHOD,)


# ---- the windows ---------------------------------------------------------------------------------------

def customer_records(rows: int, seed: int, drift: Drift | None = None) -> list[dict]:
    """Customers as the service logs them: the 20 validated fields, a blank TotalCharges as null."""
    frame = generate_customers(rows, seed=seed, drift=drift).drop(columns="Churn")
    frame["TotalCharges"] = frame["TotalCharges"].map(lambda value: None if value == " " else float(value))
    return [{key: (None if isinstance(value, float) and math.isnan(value) else value) for key, value in record.items()}
            for record in frame.to_dict(orient="records")]


def write_log(path: Path, records: list[dict], start: datetime = T0, version: str = "3", batch: int = 50) -> None:
    """Lines in the documented format (what PredictionLog writes), one batch a minute from ``start``."""
    with path.open("ab") as file:
        for offset in range(0, len(records), batch):
            chunk = records[offset:offset + batch]
            predictions = [Prediction(record["customerID"], 0.1 + 0.8 * (index % 10) / 10, False, version)
                           for index, record in enumerate(chunk)]
            file.write(format_lines(chunk, predictions, "r", start + timedelta(minutes=offset // batch)))


def test_the_log_window_reads_rotated_files_in_order_and_filters_by_time(tmp_path):
    live = tmp_path / "prediction_log.jsonl"
    rotated = tmp_path / "prediction_log.2026-05-05T00-00-00.000000Z.jsonl"
    write_log(rotated, customer_records(100, 1), start=T0, version="2")
    write_log(live, customer_records(60, 2), start=T0 + timedelta(days=1))
    everything = read_prediction_log(live)
    assert everything.rows == 160 and everything.source == [str(rotated), str(live)]
    assert everything.model_versions == {"2": 100, "3": 60} and everything.model_version == "3"
    assert everything.start.startswith("2026-05-04T09:00") and everything.end.startswith("2026-05-05T09:01")
    assert list(everything.frame.columns) == [*feature_columns(), "churn_probability"], "customerID is dropped"
    assert everything.frame["TotalCharges"].notna().all()
    second_day = read_prediction_log(live, since=datetime(2026, 5, 5))  # no time zone: UTC
    assert second_day.rows == 60 and second_day.model_versions == {"3": 60}
    first_day = read_prediction_log(live, until=datetime(2026, 5, 5, tzinfo=UTC))
    assert first_day.rows == 100


def test_since_is_inclusive_and_until_exclusive_to_the_millisecond(tmp_path):
    path = tmp_path / "log.jsonl"
    write_log(path, customer_records(150, 1), batch=50)  # 50 predictions at T0, T0 + 1 min, T0 + 2 min
    assert read_prediction_log(path, since=T0 + timedelta(minutes=1)).rows == 100, "since: that minute counts"
    assert read_prediction_log(path, until=T0 + timedelta(minutes=1)).rows == 50, "until: that minute does not"
    assert read_prediction_log(path, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2)).rows == 50
    with pytest.raises(DataError, match="is not before --until"):
        read_prediction_log(path, since=T0, until=T0)


def test_a_blank_total_charges_is_filled_as_validation_fills_it(tmp_path):
    frame = generate_customers(300, seed=5).astype({"TotalCharges": object})
    frame.loc[0, ["tenure", "TotalCharges"]] = [0, " "]
    frame.loc[1, "TotalCharges"] = " "
    inputs = model_inputs(frame, "t.csv")
    assert inputs.loc[0, "TotalCharges"] == 0.0
    assert inputs.loc[1, "TotalCharges"] == pytest.approx(frame.loc[1, "tenure"] * frame.loc[1, "MonthlyCharges"])


def _log_with(tmp_path: Path, change) -> Path:
    records = customer_records(20, 4)
    change(records)
    path = tmp_path / "log.jsonl"
    write_log(path, records)
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda records: [record.pop("tenure") for record in records], "column 'tenure' is missing"),
    (lambda records: records[3].update(tenur=5), "unknown column 'tenur'"),
    (lambda records: records[7].update(tenure="twelve"),
     "log.jsonl: line 8: column 'tenure' holds 'twelve', not a number"),
    (lambda records: records[5].update(Contract=12), "column 'Contract' holds 12, not text"),
    (lambda records: records[2].update(MonthlyCharges=None), "column 'MonthlyCharges' has a missing value"),
])
def test_a_log_with_a_wrong_column_names_it(tmp_path, change, message):
    with pytest.raises(DataError, match=re.escape(message)):
        read_prediction_log(_log_with(tmp_path, change))


def test_a_bad_line_is_named_by_file_and_line(tmp_path):
    path = tmp_path / "log.jsonl"
    write_log(path, customer_records(3, 1))
    with path.open("a") as file:
        file.write('{"time": "2026-05-04T10:00:00+00:00", "input": {}}\n{"broken\n')
    with pytest.raises(DataError, match=re.escape(f"{path}: line 4: not a prediction record")):
        read_prediction_log(path)


@pytest.mark.parametrize(("setup", "message"), [
    (lambda path: None, "no prediction log there"),
    (lambda path: path.write_text(""), "no predictions in 1 file(s)"),
])
def test_no_log_or_an_empty_log_is_refused(tmp_path, setup, message):
    path = tmp_path / "log.jsonl"
    setup(path)
    with pytest.raises(DataError, match=re.escape(message)):
        read_prediction_log(path)


def test_a_time_window_without_predictions_is_refused(tmp_path):
    path = tmp_path / "log.jsonl"
    write_log(path, customer_records(10, 1))
    with pytest.raises(DataError, match=r"no predictions from 2027-01-01T00:00:00\+00:00 to the end"):
        read_prediction_log(path, since=datetime(2027, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("change", "message"), [
    (lambda frame: frame.drop(columns="Contract"), "ref.csv: column 'Contract' is missing"),
    (lambda frame: frame.assign(score=1.0), "ref.csv: unknown column 'score'"),
    (lambda frame: frame.assign(tenure="long"), "ref.csv, data row 1: column 'tenure' holds 'long', not a number"),
    (lambda frame: frame.assign(churn_probability=1.5), "column 'churn_probability' holds 1.5, not a finite number "
                                                        "from 0 to 1"),
])
def test_a_reference_file_with_a_wrong_column_names_it(tmp_path, change, message):
    path = tmp_path / "ref.csv"
    write_table(change(generate_customers(50, seed=1)), path)
    with pytest.raises(DataError, match=re.escape(message)):
        reference_from_file(path)


def test_a_reference_file_keeps_its_scores(tmp_path):
    frame = generate_customers(50, seed=1).assign(churn_probability=0.25)
    write_table(frame, tmp_path / "ref.parquet")
    reference = reference_from_file(tmp_path / "ref.parquet")
    assert reference.rows == 50 and reference.frame["churn_probability"].eq(0.25).all()


# ---- the report ---------------------------------------------------------------------------------------

CONTRACT_KEYS = {"generated_at", "model_version", "reference", "current", "thresholds", "features", "prediction",
                 "drifted_features", "drift"}
FEATURE_KEYS = {"feature", "kind", "psi", "test", "statistic", "p_value", "drifted"}


@pytest.fixture(scope="module")
def report_inputs() -> tuple[dict, Window, Window]:
    rng = np.random.default_rng(2)
    reference = Window(window(3_000, 3).assign(churn_probability=rng.beta(2, 5, 3_000)), "reference.parquet",
                       model_version="7")
    current = Window(window(2_000, 103, Drift(month_to_month_share=0.1)).assign(
        churn_probability=rng.beta(2, 6, 2_000)), ["log.jsonl"], start="2026-05-04T09:00:00+00:00",
        end="2026-05-04T10:00:00+00:00", model_version="7", model_versions={"7": 2_000})
    result = compare(reference.frame, current.frame, RULE)
    return summary(result, reference, current, RULE, generated_at=T0), reference, current


def test_the_summary_has_the_contracts_fields(report_inputs):
    document, _, _ = report_inputs
    assert set(document) == CONTRACT_KEYS
    assert document["generated_at"] == "2026-05-04T09:00:00+00:00" and document["model_version"] == "7"
    assert document["reference"] == {"source": "reference.parquet", "rows": 3_000}
    assert document["current"]["rows"] == 2_000 and document["current"]["source"] == ["log.jsonl"]
    assert {"psi": 0.2, "p_value": 0.01, "prediction_psi": 0.2}.items() <= document["thresholds"].items()
    assert all(set(entry) >= FEATURE_KEYS for entry in document["features"])
    assert set(document["drifted_features"]) == {"Contract", "tenure", "TotalCharges"}
    assert document["drift"] is True
    assert {"psi", "test", "statistic", "p_value", "drifted", "reference_mean", "current_mean"} <= set(
        document["prediction"])
    assert json.loads(to_json(document)) == document, "strict JSON that reads back the same"


def test_the_page_is_self_contained_and_accessible(report_inputs):
    document, reference, current = report_inputs
    page = render_html(document, reference.frame, current.frame)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I), "nothing fetched from elsewhere"
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 1 + len(document["drifted_features"]), "the scores and one plot per drifted feature"
    assert all(re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', image) for image in images)
    assert all(re.search(r'alt="[^"]{40,}"', image) for image in images), "each plot says what it shows"
    assert page.count('<th scope="col">') == 7 and '<html lang="en">' in page and "<caption>" in page
    assert html_table_rows(page) == len(feature_columns())


def html_table_rows(page: str) -> int:
    return len(re.findall(r'<tr(?: class="drifted")?><th scope="row">', page))


def test_a_reference_without_scores_gives_no_prediction_drift(report_inputs):
    _, reference, current = report_inputs
    plain = Window(reference.frame.drop(columns="churn_probability"), "ref.csv")
    result = compare(plain.frame, current.frame, RULE)
    document = summary(result, plain, current, RULE)
    assert result.prediction is None and document["prediction"] is None
    assert document["model_version"] == "7", "from the current window when the reference has none"
    assert "the reference has no scores" in render_html(document, plain.frame, current.frame)


# ---- churn drift end to end ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    """A promoted model (2,000 generated rows) in a fresh store; the config file that points at it."""
    folder = tmp_path_factory.mktemp("drift-champion")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"data": {"generated_rows": 2000},
                                      "tracking": {"uri": f"sqlite:///{folder / 'mlflow.db'}",
                                                   "registered_model": "drift"}}), encoding="utf-8")
    assert main(["train", "--config", str(config)]) == EXIT_OK
    approval = ["--approved-by", "ana", "--reason", "a champion to compare with"]
    assert main(["promote", "--config", str(config), *approval]) == EXIT_OK
    return config


def test_training_stores_the_reference_window(champion):
    import mlflow

    config = load_config(champion)
    version = mlflow.MlflowClient(config.tracking.uri).get_model_version_by_alias("drift", "champion")
    local = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=REFERENCE_ARTIFACT,
                                                tracking_uri=config.tracking.uri)
    stored = pd.read_parquet(local)
    assert list(stored.columns) == [*feature_columns(), "churn_probability"], "no customerID, no label"
    assert len(stored) == 1_600, "the training split: 2,000 rows minus the 20% held out"
    assert stored["churn_probability"].between(0, 1).all()


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def served_log(champion, tmp_path_factory) -> Path:
    """A day of normal traffic and a day of drifted traffic, scored by the champion, logged by PredictionLog."""
    config = load_config(champion)
    predictor = load_champion(config.tracking.uri, "drift")
    path = tmp_path_factory.mktemp("drift-log") / "prediction_log.jsonl"
    clock = FakeClock(T0)
    log = PredictionLog(path, clock=clock, retention_days=10_000)
    log.start()
    days = [customer_records(800, 11), customer_records(800, 12, Drift(month_to_month_share=0.95,
                                                                        monthly_charges_factor=1.3))]
    for day, records in enumerate(days):
        for offset in range(0, len(records), 100):
            clock.now = T0 + timedelta(days=day, minutes=offset)
            batch = records[offset:offset + 100]
            log.append(batch, predictor.predict_records(batch), f"request-{day}-{offset}")
    log.close()
    return path


def test_churn_drift_reads_the_whole_log_and_writes_both_files(champion, served_log, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["drift", "--log", str(served_log), "--config", str(champion)])
    out = capsys.readouterr().out
    assert code == EXIT_OK, "drift is information, not an error"
    document = json.loads((tmp_path / "monitoring" / "drift.json").read_text(encoding="utf-8"))
    assert len(document["current"]["source"]) == 2, "the rotated file (day one) and the live one"
    assert document["current"]["rows"] == 1_600 and document["reference"]["rows"] == 1_600
    assert re.fullmatch(r"models:/drift/\d+ run [0-9a-f]{32} training split", document["reference"]["source"])
    assert {"Contract", "MonthlyCharges"} <= set(document["drifted_features"]) and document["drift"]
    assert not {"gender", "Partner", "Dependents", "InternetService"} & set(document["drifted_features"])
    assert out.startswith("drift: ") and "Contract" in out and "wrote monitoring/drift.html" in out
    assert (tmp_path / "monitoring" / "drift.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list((tmp_path / "monitoring").glob(".*partial*")), "no partial file left behind"


def test_churn_drift_on_the_drifted_day_finds_prediction_drift(champion, served_log, tmp_path, capsys):
    code = main(["drift", "--log", str(served_log), "--config", str(champion), "--since", "2026-05-05",
                 "--output-dir", str(tmp_path)])
    assert code == EXIT_OK
    document = json.loads((tmp_path / "drift.json").read_text(encoding="utf-8"))
    assert document["current"]["rows"] == 800 and len(document["current"]["source"]) == 1
    assert {"Contract", "MonthlyCharges"} <= set(document["drifted_features"])
    assert document["prediction"]["drifted"], "more month-to-month customers: higher scores"
    assert document["prediction"]["current_mean"] > document["prediction"]["reference_mean"] + 0.05
    assert "scores drifted" in capsys.readouterr().out


def test_churn_drift_on_normal_traffic_only_finds_none(champion, served_log, tmp_path, capsys):
    code = main(["drift", "--log", str(served_log), "--config", str(champion), "--until", "2026-05-05",
                 "--output-dir", str(tmp_path / "out")])
    assert code == EXIT_OK
    document = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert document["current"]["rows"] == 800 and document["drift"] is False and document["drifted_features"] == []
    assert capsys.readouterr().out.startswith("no drift: 0 of 19 features drifted")


def test_churn_drift_with_a_reference_file_needs_no_registry(served_log, tmp_path, capsys):
    reference = tmp_path / "train.csv"
    write_table(generate_customers(1_000, seed=11), reference)
    code = main(["drift", "--log", str(served_log), "--reference", str(reference), "--output-dir", str(tmp_path),
                 "--tracking-uri", "sqlite:///no/such/folder/mlflow.db"])
    assert code == EXIT_OK
    document = json.loads((tmp_path / "drift.json").read_text(encoding="utf-8"))
    assert document["reference"] == {"source": str(reference), "rows": 1_000} and document["prediction"] is None
    assert "MonthlyCharges" in document["drifted_features"]


def _no_output(folder: Path) -> bool:
    return not (folder / "drift.json").exists() and not (folder / "drift.html").exists()


def test_churn_drift_without_a_champion_is_exit_3(served_log, tmp_path, capsys):
    code = main(["drift", "--log", str(served_log), "--output-dir", str(tmp_path / "out"),
                 "--tracking-uri", f"sqlite:///{tmp_path / 'empty.db'}"])
    err = capsys.readouterr().err
    assert code == EXIT_REGISTRY
    last = err.strip().splitlines()[-1]  # before it, MLflow's INFO lines about creating the empty store
    assert last.startswith("error: no model version of 'churn' has the alias 'champion'") and "Traceback" not in err
    assert "--reference FILE" in last and _no_output(tmp_path / "out")


def test_a_champion_trained_before_runs_stored_a_reference_is_exit_3(champion, served_log, tmp_path, monkeypatch,
                                                                     capsys):
    import mlflow

    def missing(**kwargs):
        raise OSError("No such file or directory")

    monkeypatch.setattr(mlflow.artifacts, "download_artifacts", missing)
    code = main(["drift", "--log", str(served_log), "--config", str(champion), "--output-dir", str(tmp_path)])
    assert code == EXIT_REGISTRY
    assert f"has no {REFERENCE_ARTIFACT}" in capsys.readouterr().err and _no_output(tmp_path)


def run_cli(argv: list[str]) -> int:
    """``main``'s exit code, also when argparse exits on a bad argument."""
    try:
        return main(argv)
    except SystemExit as exit:
        return int(exit.code)


@pytest.mark.parametrize(("make", "argv", "message"), [
    (lambda folder: (folder / "log.jsonl").write_text(""), ["--log", "log.jsonl", "--reference", "good.csv"],
     "log.jsonl: no predictions in 1 file(s)"),
    (lambda folder: None, ["--log", "nope.jsonl", "--reference", "good.csv"], "nope.jsonl: no prediction log there"),
    (lambda folder: write_log(folder / "log.jsonl", [{**record, "Contract": None} for record in
                                                     customer_records(5, 1)]),
     ["--log", "log.jsonl", "--reference", "good.csv"], "log.jsonl: line 1: column 'Contract' holds a missing value"),
    (lambda folder: write_table(generate_customers(30, seed=1).drop(columns="tenure"), folder / "ref.csv"),
     ["--log", "good.jsonl", "--reference", "ref.csv"], "ref.csv: column 'tenure' is missing"),
    (lambda folder: None, ["--log", "good.jsonl", "--reference", "nope.csv"], "nope.csv: no such file"),
    (lambda folder: None, ["--log", "good.jsonl", "--since", "yesterday"], "argument --since: 'yesterday' is not"),
    (lambda folder: (folder / "out").write_text("x"), ["--log", "good.jsonl", "--output-dir", "out"],
     "argument --output-dir: out is a file"),
], ids=["empty-log", "no-log", "missing-value", "missing-column", "no-reference-file", "bad-time", "output-a-file"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys, make, argv, message):
    monkeypatch.chdir(tmp_path)
    write_log(tmp_path / "good.jsonl", customer_records(20, 1))
    write_table(generate_customers(30, seed=2), tmp_path / "good.csv")
    make(tmp_path)
    code = run_cli(["drift", *argv])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err and out == ""
    assert not (tmp_path / "monitoring").exists(), "nothing written"


def test_the_drift_module_uses_no_drift_library():
    source = Path(drift_module.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from) (evidently|alibi|whylogs|nannyml)", source, re.M)
