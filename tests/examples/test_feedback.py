"""Feedback: the prediction log joined with outcomes, realised performance per week, and bad input.

The log is written with the service's own line format (``format_lines``) into a live file and a
rotated one, so the join reads what ``churn serve`` writes. The metrics of a hand-built week are
checked against scikit-learn and the cost against the case's prices counted by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, main
from churn.config import load_config
from churn.generate import generate_customers, write_table
from churn.ingest import DataError
from churn.monitoring.feedback import join_outcomes, performance_report, read_predictions
from churn.monitoring.outcomes import load_outcomes, outcomes_from_table
from churn.predict import Prediction
from churn.service.prediction_log import format_lines
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

UTC = dt.UTC
AFTER_EVERYTHING = dt.datetime(2027, 1, 1, tzinfo=UTC)  # every week of the tests is over by then


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def log_bytes(*predictions: tuple[str, str, float] | tuple[str, str, float, str]) -> bytes:
    """Prediction log lines as the service writes them: (time, customerID, probability[, model version])."""
    lines = b""
    for time, customer, probability, *version in predictions:
        prediction = Prediction(customer, probability, probability >= 0.35, version[0] if version else "1")
        lines += format_lines([{"customerID": customer, "tenure": 3}], [prediction], "request", at(time))
    return lines


def outcomes_csv(path: Path, *rows: tuple[str, str, str]) -> Path:
    path.write_text("customerID,churned,labelled_at\n" + "".join(f"{c},{y},{d}\n" for c, y, d in rows),
                    encoding="utf-8")
    return path


def config_with(tmp_path: Path, **monitoring) -> object:
    config = tmp_path / "experiment.yaml"
    config.write_text(json.dumps({"monitoring": monitoring}), encoding="utf-8")  # JSON is YAML
    return load_config(config)


@pytest.fixture
def join_case(tmp_path) -> tuple[Path, Path]:
    """A log over a rotated and a live file, and outcomes labelled on 2026-05-10 (window 2026-04-10 to 05-10)."""
    live = tmp_path / "prediction_log.jsonl"
    rotated = tmp_path / "prediction_log.2026-04-30T00-00-00.000000Z.jsonl"
    rotated.write_bytes(log_bytes(
        ("2026-03-02T09:00:00", "B", 0.6),          # two months before its label: outside the window
        ("2026-04-10T00:00:00", "D", 0.4),          # exactly the window's start: inside
        ("2026-04-27T09:00:00", "A", 0.2),          # A, week 18, replaced by the re-score two days later
        ("2026-04-29T15:00:00", "A", 0.9)))
    live.write_bytes(log_bytes(
        ("2026-05-04T09:00:00", "A", 0.7),          # A again, week 19: labelled by the same outcome
        ("2026-05-10T00:00:00", "C", 0.5)))         # at the label's own midnight: after it, unlabelled
    outcomes = outcomes_csv(tmp_path / "outcomes.csv", ("A", "Yes", "2026-05-10"), ("B", "No", "2026-05-10"),
                            ("C", "No", "2026-05-10"), ("D", "No", "2026-05-10"),
                            ("NEVER-1", "Yes", "2026-05-10"), ("NEVER-2", "No", "2026-05-10"))
    return live, outcomes


def test_the_log_is_read_across_rotated_and_live_files_in_order(join_case):
    live, _ = join_case
    predictions = read_predictions(live)
    assert predictions["customerID"].tolist() == ["B", "D", "A", "A", "A", "C"]
    assert str(predictions["time"].dt.tz) == "UTC"
    assert predictions["churn_probability"].tolist() == [0.6, 0.4, 0.2, 0.9, 0.7, 0.5]


def test_the_join_keeps_one_prediction_per_customer_and_week_and_labels_the_month_before(join_case):
    live, outcomes_path = join_case
    joined = join_outcomes(read_predictions(live), load_outcomes(outcomes_path))
    rows = {(row.customerID, row.week): row for row in joined.frame.itertuples()}
    assert sorted(rows) == [("A", "2026-W18"), ("A", "2026-W19"), ("B", "2026-W10"), ("C", "2026-W19"),
                            ("D", "2026-W15")]
    assert rows["A", "2026-W18"].churn_probability == 0.9, "the later score of the week counts"
    assert rows["A", "2026-W18"].churned == 1 and rows["A", "2026-W19"].churned == 1, "each week gets the label"
    assert rows["D", "2026-W15"].churned == 0, "the window's first instant is inside it"
    assert np.isnan(rows["B", "2026-W10"].churned), "a label does not reach back more than a month"
    assert np.isnan(rows["C", "2026-W19"].churned), "a prediction at the label's midnight is after it"
    assert str(rows["A", "2026-W18"].start.date()) == "2026-04-27"
    assert (joined.outcomes, joined.never_scored, joined.outside_window, joined.unmatched) == (6, 2, 2, 4)


def test_a_later_outcome_labels_what_the_earlier_one_did_not_reach(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(log_bytes(("2026-04-20T09:00:00", "A", 0.8), ("2026-05-03T09:00:00", "A", 0.5),
                              ("2026-05-18T09:00:00", "A", 0.3)))
    outcomes = load_outcomes(outcomes_csv(tmp_path / "o.csv", ("A", "No", "2026-05-01"), ("A", "Yes", "2026-06-01")))
    frame = join_outcomes(read_predictions(log), outcomes).frame
    assert frame["churned"].tolist() == [0, 1, 1], "two days after a label, the next one judges (not the past one)"
    assert frame["labelled_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-05-01", "2026-06-01", "2026-06-01"]


# A hand-built week: ten customers scored on Monday 2026-04-27, labelled on 2026-05-11.
WEEK_18 = [("W18-0", 0.10, "No"), ("W18-1", 0.20, "No"), ("W18-2", 0.30, "Yes"), ("W18-3", 0.36, "No"),
           ("W18-4", 0.40, "No"), ("W18-5", 0.50, "Yes"), ("W18-6", 0.55, "No"), ("W18-7", 0.70, "Yes"),
           ("W18-8", 0.80, "Yes"), ("W18-9", 0.05, "No")]


def hand_built(tmp_path: Path, extra_log=(), extra_outcomes=()) -> tuple[Path, Path]:
    log = tmp_path / "log.jsonl"
    log.write_bytes(log_bytes(*[("2026-04-27T08:00:00", c, p) for c, p, _ in WEEK_18], *extra_log))
    outcomes = outcomes_csv(tmp_path / "outcomes.csv", *[(c, y, "2026-05-11") for c, _, y in WEEK_18],
                            *extra_outcomes)
    return log, outcomes


def test_the_weekly_metrics_are_scikit_learns_and_the_cost_is_counted_at_the_case_prices(tmp_path):
    log, outcomes = hand_built(tmp_path)
    config = config_with(tmp_path, min_labelled=10, min_realised_roc_auc=0.75)
    report = performance_report(read_predictions(log), load_outcomes(outcomes), config, now=AFTER_EVERYTHING)
    (week,) = report["weeks"]
    y_true = np.array([y == "Yes" for _, _, y in WEEK_18], dtype=int)
    score = np.array([p for _, p, _ in WEEK_18])
    called = score >= 0.35
    assert week["roc_auc"] == pytest.approx(roc_auc_score(y_true, score), abs=1e-6)
    assert week["pr_auc"] == pytest.approx(average_precision_score(y_true, score), abs=1e-6)
    assert week["precision"] == pytest.approx(precision_score(y_true, called), abs=1e-6)
    assert week["recall"] == pytest.approx(recall_score(y_true, called), abs=1e-6)
    # called: 0.36 No, 0.40 No, 0.50 Yes, 0.55 No, 0.70 Yes, 0.80 Yes; missed: 0.30 Yes
    assert week["cost"] == 1 * 500.0 + 3 * 50.0
    assert week["roc_auc"] == pytest.approx(20 / 24)  # 20 of the 24 (churner, stayer) pairs ranked right
    assert (week["week"], week["start"], week["scored"], week["labelled"]) == ("2026-W18", "2026-04-27", 10, 10)
    assert week["verdict"] == "ok" and week["complete"] and week["model_versions"] == ["1"]
    assert report["latest"] == week and report["below_threshold"] is False
    assert report["threshold"] == 0.35 and report["unmatched_labels"] == 0


def test_a_week_below_the_floor_and_a_week_with_too_few_labels(tmp_path):
    week_19 = [("W19-0", 0.9, "No"), ("W19-1", 0.8, "No"), ("W19-2", 0.2, "Yes"), ("W19-3", 0.1, "Yes")]
    log, outcomes = hand_built(tmp_path, extra_log=[("2026-05-04T08:00:00", c, p) for c, p, _ in week_19],
                               extra_outcomes=[(c, y, "2026-05-11") for c, _, y in week_19])
    few = performance_report(read_predictions(log), load_outcomes(outcomes),
                             config_with(tmp_path, min_labelled=5, min_realised_roc_auc=0.9), now=AFTER_EVERYTHING)
    w18, w19 = few["weeks"]
    assert w19["labelled"] == 4 and w19["roc_auc"] == 0.0, "the metrics are shown, with no verdict"
    assert w19["verdict"] is None and w18["verdict"] == "below"
    assert few["latest"]["week"] == "2026-W18" and few["below_threshold"] is True
    enough = performance_report(read_predictions(log), load_outcomes(outcomes),
                                config_with(tmp_path, min_labelled=4), now=AFTER_EVERYTHING)
    assert enough["latest"]["week"] == "2026-W19" and enough["latest"]["verdict"] == "below"
    assert [week["verdict"] for week in enough["weeks"]] == ["ok", "below"]


def test_a_week_not_over_counts_only_once_all_its_customers_are_labelled(tmp_path):
    log, outcomes = hand_built(tmp_path, extra_log=[("2026-04-28T08:00:00", "LATE", 0.5)])
    config = config_with(tmp_path, min_labelled=10)
    during_the_week = at("2026-04-30T12:00:00")
    report = performance_report(read_predictions(log), load_outcomes(outcomes), config, now=during_the_week)
    assert report["weeks"][0]["verdict"] == "ok" and not report["weeks"][0]["complete"]
    assert report["latest"] is None and report["below_threshold"] is False
    outcomes_csv(outcomes, *[(c, y, "2026-05-11") for c, _, y in WEEK_18], ("LATE", "No", "2026-05-11"))
    labelled = performance_report(read_predictions(log), load_outcomes(outcomes), config, now=during_the_week)
    assert labelled["weeks"][0]["complete"] and labelled["latest"]["week"] == "2026-W18"


def test_an_ended_week_whose_labels_are_partly_in_has_no_say_until_the_next_label_date(tmp_path):
    # Week 18 (2026-04-27 to 05-03) straddles the label date 05-01: Thursday's scores are labelled by it,
    # Saturday's wait for 06-01. Over by 05-10, but judged on Thursday alone it would be judged too early.
    thursday = [(f"T-{i}", 0.9 if i % 2 else 0.1, "Yes" if i % 2 else "No") for i in range(20)]
    saturday = [(f"S-{i}", 0.1 if i % 2 else 0.9, "Yes" if i % 2 else "No") for i in range(20)]
    log = tmp_path / "log.jsonl"
    log.write_bytes(log_bytes(*[("2026-04-30T08:00:00", c, p) for c, p, _ in thursday],
                              *[("2026-05-02T08:00:00", c, p) for c, p, _ in saturday]))
    may = [(c, y, "2026-05-01") for c, _, y in thursday]
    config = config_with(tmp_path, min_labelled=10)
    early = performance_report(read_predictions(log), load_outcomes(outcomes_csv(tmp_path / "o.csv", *may)), config,
                               now=at("2026-05-10T00:00:00"))
    (week,) = early["weeks"]
    assert (week["scored"], week["labelled"], week["roc_auc"]) == (40, 20, 1.0)
    assert not week["complete"] and early["latest"] is None, "half the week's labels are not a verdict"
    june = [(c, y, "2026-06-01") for c, _, y in saturday]
    later = performance_report(read_predictions(log), load_outcomes(outcomes_csv(tmp_path / "o.csv", *may, *june)),
                               config, now=at("2026-06-02T00:00:00"))
    assert later["latest"]["week"] == "2026-W18" and later["latest"]["labelled"] == 40
    assert later["latest"]["roc_auc"] == 0.5, "Saturday's scores, all wrong, count once their labels are in"


def test_a_week_with_one_outcome_only_has_no_ranking_metrics_and_no_verdict(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(log_bytes(("2026-04-27T08:00:00", "A", 0.5), ("2026-04-27T08:00:00", "B", 0.1)))
    outcomes = outcomes_csv(tmp_path / "o.csv", ("A", "No", "2026-05-11"), ("B", "No", "2026-05-11"))
    report = performance_report(read_predictions(log), load_outcomes(outcomes), config_with(tmp_path, min_labelled=1),
                                now=AFTER_EVERYTHING)
    (week,) = report["weeks"]
    assert week["roc_auc"] is None and week["pr_auc"] is None and week["verdict"] is None
    assert week["cost"] == 50.0, "one wasted offer"
    assert report["latest"] is None


def run(folder: Path, argv: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CHURN_PREDICTION_LOG", raising=False)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_churn_feedback_writes_the_contracts_report_and_counts_labels_for_customers_never_scored(
        join_case, monkeypatch, capsys):
    live, outcomes = join_case
    code, out, err = run(live.parent, ["feedback", "--outcomes", outcomes.name, "--log", live.name], monkeypatch,
                         capsys)
    assert code == EXIT_OK, err
    report = json.loads((live.parent / "monitoring" / "performance.json").read_text(encoding="utf-8"))
    assert {"generated_at", "model_version", "threshold", "weeks", "latest", "unmatched_labels",
            "below_threshold"} <= set(report)
    assert {"week", "start", "scored", "labelled", "roc_auc", "pr_auc", "precision", "recall", "cost",
            "verdict"} <= set(report["weeks"][0])
    assert report["unmatched_labels"] == 4
    assert report["labels"] == {"outcomes": 6, "matched": 2, "never_scored": 2, "outside_window": 2}
    assert report["sources"]["log"] == [str(Path(name)) for name in
                                        ("prediction_log.2026-04-30T00-00-00.000000Z.jsonl", "prediction_log.jsonl")]
    assert "2 for customers never scored" in out and "wrote monitoring/performance.json" in out
    assert report["latest"] is None and "no verdict" in out


def test_the_log_comes_from_churn_prediction_log_by_default(join_case, monkeypatch, capsys):
    live, outcomes = join_case
    monkeypatch.chdir(live.parent)
    monkeypatch.setenv("CHURN_PREDICTION_LOG", str(live))
    assert main(["feedback", "--outcomes", str(outcomes), "--output", "perf.json"]) == EXIT_OK
    assert json.loads((live.parent / "perf.json").read_text(encoding="utf-8"))["labels"]["matched"] == 2


GOOD_LOG = log_bytes(("2026-04-27T08:00:00", "A", 0.5))
BAD_INPUT = [
    ("missing_column.csv", "customerID,labelled_at\nA,2026-05-01\n", GOOD_LOG,
     "missing_column.csv: missing column churned; an outcomes file has the columns"),
    ("two_missing.csv", "customerID\nA\n", GOOD_LOG, "two_missing.csv: missing columns churned, labelled_at"),
    ("bad_churned.csv", "customerID,churned,labelled_at\nA,Yes,2026-05-01\nB,maybe,2026-05-01\n", GOOD_LOG,
     "bad_churned.csv: line 3, column churned: 'maybe' is not Yes or No"),
    ("one_zero.csv", "customerID,churned,labelled_at\nA,1,2026-05-01\n", GOOD_LOG,
     "one_zero.csv: line 2, column churned: 1 is not Yes or No"),
    ("blank_id.csv", "customerID,churned,labelled_at\n ,No,2026-05-01\n", GOOD_LOG,
     "blank_id.csv: line 2, column customerID: a blank is not a customer id"),
    ("bad_date.csv", "customerID,churned,labelled_at\nA,No,01/05/2026\n", GOOD_LOG,
     "bad_date.csv: line 2, column labelled_at: '01/05/2026' is not a date written YYYY-MM-DD"),
    ("no_such_day.csv", "customerID,churned,labelled_at\nA,No,2026-02-30\n", GOOD_LOG,
     "no_such_day.csv: line 2, column labelled_at: '2026-02-30' is not a date"),
    ("twice.csv", "customerID,churned,labelled_at\nA,No,2026-05-01\nB,No,2026-05-01\nA,Yes,2026-05-01\n", GOOD_LOG,
     "twice.csv: line 2 and line 4: customer 'A' has two outcomes labelled at 2026-05-01"),
    ("empty.csv", "", GOOD_LOG, "empty.csv: the file is empty"),
    ("header_only.csv", "customerID,churned,labelled_at\n", GOOD_LOG, "header_only.csv: the table has no rows"),
    ("outcomes.txt", "customerID,churned,labelled_at\n", GOOD_LOG, "outcomes.txt: unsupported file type '.txt'"),
    ("ok.csv", None, b'{"time": "2026-04-27T08:00:00+00:00", "model_ver',
     "prediction_log.jsonl: line 1: not valid JSON"),
    ("ok.csv", None, GOOD_LOG + b'{"time": "2026-04-27T08:00:00+00:00", "model_version": "1", "input": {}, '
     b'"output": {"churn_probability": 0.3}}\n',
     "prediction_log.jsonl: line 2: not a prediction record: no input.customerID"),
    ("ok.csv", None, GOOD_LOG.replace(b"+00:00", b""), "prediction_log.jsonl: line 1: time '2026-04-27T08:00:00.000' "
     "is not an ISO 8601 time with its UTC offset"),
    ("ok.csv", None, GOOD_LOG.replace(b'"churn_probability":0.5', b'"churn_probability":1.5'),
     "prediction_log.jsonl: line 1: output.churn_probability 1.5 is not a probability"),
    ("ok.csv", None, b"", "prediction_log.jsonl: the prediction log holds no prediction"),
    ("ok.csv", None, None, "prediction_log.jsonl: no prediction log there (no such file"),
]


@pytest.mark.parametrize(("log", "message"), [
    (GOOD_LOG.replace(b'"model_version":"1",', b""), "line 1: not a prediction record: no model_version"),
    (GOOD_LOG.replace(b"+00:00", b""), "line 1: time '2026-04-27T08:00:00.000' is not an ISO 8601 time with its UTC "
     "offset"),
    (GOOD_LOG.replace(b'"churn_probability":0.5', b'"churn_probability":-0.5'),
     "line 1: output.churn_probability -0.5 is not a probability from 0 to 1"),
    (GOOD_LOG + b"{not json\n", "line 2: not valid JSON"),
])
def test_drift_and_feedback_read_the_log_with_one_reader(tmp_path, log, message):
    """A line feedback refuses, drift refuses too, in the same words: both take their lines from one function."""
    from churn.monitoring import feedback, windows

    assert feedback.logged_predictions is windows.logged_predictions
    path = tmp_path / "prediction_log.jsonl"
    path.write_bytes(log)
    for read in (read_predictions, windows.read_prediction_log):
        with pytest.raises(DataError) as refused:
            read(path)
        assert f"{path}: {message}" in str(refused.value), read.__name__


@pytest.mark.parametrize(("name", "outcomes", "log", "message"), BAD_INPUT,
                         ids=[message.split(": ", 1)[1][:40] for *_, message in BAD_INPUT])
def test_bad_input_is_one_line_naming_the_file_row_and_column_exit_2_and_nothing_written(
        tmp_path, name, outcomes, log, message, monkeypatch, capsys):
    (tmp_path / name).write_text(outcomes if outcomes is not None else "customerID,churned,labelled_at\n"
                                 "A,No,2026-05-01\n", encoding="utf-8")
    if log is not None:
        (tmp_path / "prediction_log.jsonl").write_bytes(log)
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run(tmp_path, ["feedback", "--outcomes", name, "--log", "prediction_log.jsonl"], monkeypatch,
                         capsys)
    assert code == EXIT_BAD_INPUT, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert out == "" and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before, "nothing may be written"


def test_an_unwritable_output_leaves_the_previous_report_whole(join_case, monkeypatch, capsys):
    live, outcomes = join_case
    folder = live.parent
    (folder / "monitoring").mkdir()
    (folder / "monitoring" / "performance.json").write_text('{"old": true}', encoding="utf-8")
    code, _, err = run(folder, ["feedback", "--outcomes", outcomes.name, "--log", live.name, "--output",
                                "outcomes.csv/performance.json"], monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT and "outcomes.csv/performance.json: cannot write the file" in err
    assert (folder / "monitoring" / "performance.json").read_text(encoding="utf-8") == '{"old": true}'
    assert not list(folder.rglob(".*partial*"))


def test_parquet_outcomes_with_real_dates_are_read_like_csv(tmp_path):
    frame = pd.DataFrame({"customerID": ["A", "B"], "churned": ["Yes", "No"],
                          "labelled_at": [dt.date(2026, 5, 1), dt.date(2026, 6, 1)]})
    frame.to_parquet(tmp_path / "outcomes.parquet")
    stamps = frame.assign(labelled_at=pd.to_datetime(frame["labelled_at"]))
    stamps.to_parquet(tmp_path / "stamps.parquet")
    for name in ("outcomes.parquet", "stamps.parquet"):
        loaded = load_outcomes(tmp_path / name)
        assert loaded["churned"].tolist() == [1, 0]
        assert loaded["labelled_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-05-01", "2026-06-01"]
    stamps.assign(labelled_at=stamps["labelled_at"] + pd.Timedelta(hours=9)).to_parquet(tmp_path / "noon.parquet")
    with pytest.raises(Exception, match=r"noon.parquet: row 1, column labelled_at: 2026-05-01T09:00:00\+00:00 is "
                                        r"not a date .*no time of day"):
        load_outcomes(tmp_path / "noon.parquet")


def test_churn_outcomes_turns_a_generated_table_into_an_outcomes_file(tmp_path, monkeypatch, capsys):
    table = generate_customers(400, seed=3)
    write_table(table, tmp_path / "customers.parquet")
    code, out, err = run(tmp_path, ["outcomes", "--from", "customers.parquet", "--output", "outcomes.csv",
                                    "--labelled-at", "2026-06-01"], monkeypatch, capsys)
    assert code == EXIT_OK, err
    outcomes = load_outcomes(tmp_path / "outcomes.csv")
    assert outcomes["customerID"].tolist() == table["customerID"].tolist()
    assert outcomes["churned"].tolist() == (table["Churn"] == "Yes").astype(int).tolist()
    assert set(outcomes["labelled_at"].dt.strftime("%Y-%m-%d")) == {"2026-06-01"}
    assert f"wrote 400 outcomes ({(table['Churn'] == 'Yes').sum()} churned) labelled at 2026-06-01" in out


def test_churn_outcomes_labels_tomorrow_by_default_and_flips_exactly_the_share_asked(tmp_path, monkeypatch, capsys):
    table = generate_customers(400, seed=3)
    write_table(table, tmp_path / "customers.csv")
    code, _, err = run(tmp_path, ["outcomes", "--from", "customers.csv", "--output", "flipped.csv",
                                  "--flip-share", "0.25", "--seed", "1"], monkeypatch, capsys)
    assert code == EXIT_OK, err
    flipped = load_outcomes(tmp_path / "flipped.csv")
    assert ((flipped["churned"] == 1) != (table["Churn"] == "Yes")).sum() == 100
    tomorrow = dt.datetime.now(UTC).date() + dt.timedelta(days=1)
    assert {value.date() for value in flipped["labelled_at"]} <= {tomorrow, tomorrow + dt.timedelta(days=1)}
    again = outcomes_from_table(table, tomorrow, flip_share=0.25, seed=1)
    assert (again["churned"] == "Yes").astype(int).tolist() == flipped["churned"].tolist(), "the seed decides"


@pytest.mark.parametrize(("argv", "message"), [
    (["outcomes", "--from", "nope.csv", "--output", "o.csv"], "nope.csv: no such file"),
    (["outcomes", "--from", "no_churn.csv", "--output", "o.csv"], "no_churn.csv: missing column Churn"),
    (["outcomes", "--from", "twice.csv", "--output", "o.csv"], "twice.csv: rows 1 and 2 are both customer"),
    (["outcomes", "--from", "customers.csv", "--output", "o.txt"], "argument --output: o.txt: name the file"),
    (["outcomes", "--from", "customers.csv", "--output", "o.csv", "--labelled-at", "2026-13-01"],
     "argument --labelled-at: '2026-13-01' is not a date written YYYY-MM-DD"),
    (["outcomes", "--from", "customers.csv", "--output", "o.csv", "--flip-share", "2"], "argument --flip-share"),
    (["feedback"], "the following arguments are required: --outcomes"),
    (["feedback", "--outcomes", "customers.csv", "--config", "nope.yaml"], "nope.yaml: configuration file not found"),
])
def test_churn_outcomes_and_feedback_refuse_bad_arguments_with_exit_2(tmp_path, argv, message, monkeypatch, capsys):
    table = generate_customers(5, seed=3)
    write_table(table, tmp_path / "customers.csv")
    write_table(table.drop(columns="Churn"), tmp_path / "no_churn.csv")
    write_table(pd.concat([table.iloc[[0]], table.iloc[[0]]]), tmp_path / "twice.csv")
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run(tmp_path, argv, monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT and out == ""
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before
