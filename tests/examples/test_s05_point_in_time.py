"""Lecture 5.5: the point-in-time join never uses a value from after the prediction; the naive join does."""

from __future__ import annotations

import runpy
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples/lectures/s05/point_in_time.py"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def tables(script) -> tuple[pd.DataFrame, pd.DataFrame]:
    return script["make_tables"]()


def test_the_naive_join_leaks_and_looks_better(script, tables):
    naive = script["summarise"](script["naive_join"](*tables))
    fair = script["summarise"](script["point_in_time_join"](*tables))
    assert naive["values_from_the_future"] == naive["rows"] == 2000
    assert fair["values_from_the_future"] == 0
    assert naive["auc"] > 0.85 and fair["auc"] < 0.65
    assert naive["auc"] - fair["auc"] > 0.2


def test_the_point_in_time_value_is_the_last_one_known_then(script, tables):
    labels, features = tables
    joined = script["point_in_time_join"](labels, features).set_index("customerID")
    for customer in labels["customerID"].iloc[:25]:
        when = joined.loc[customer, "prediction_time"]
        history = features[(features["customerID"] == customer) & (features["event_timestamp"] <= when)]
        last = history.sort_values("event_timestamp").iloc[-1]
        assert joined.loc[customer, "event_timestamp"] == last["event_timestamp"]
        assert joined.loc[customer, "support_calls_30d"] == last["support_calls_30d"]


def test_a_value_older_than_the_tolerance_is_missing(script):
    labels = pd.DataFrame({"customerID": ["0001-AAAAA"], "prediction_time": pd.to_datetime(["2026-06-01"]),
                           "churned": [0]})
    features = pd.DataFrame({"customerID": ["0001-AAAAA"] * 2,
                             "event_timestamp": pd.to_datetime(["2026-05-01", "2026-06-08"]),
                             "support_calls_30d": [4, 9]})
    joined = script["point_in_time_join"](labels, features)
    assert joined["support_calls_30d"].isna().all(), "May 1 is too old, June 8 is in the future"
    assert script["naive_join"](labels, features)["support_calls_30d"].tolist() == [9]


def test_the_script_prints_both_joins(script):
    lines = script["main"]()
    assert lines[0] == "2000 customers, 67023 weekly feature rows, churn rate 26%"
    assert lines[3].startswith("naive (latest)") and lines[3].endswith(" 2000                     0.906")
    assert lines[4].startswith("point-in-time") and lines[4].endswith(" 0                     0.577")


def test_the_customer_on_the_page(script, tables):
    labels, features = tables
    assert labels.set_index("customerID").loc["0004-CUSTE", "prediction_time"] == pd.Timestamp("2026-05-01")
    weeks = features[features["customerID"] == "0004-CUSTE"].tail(6)
    assert weeks["support_calls_30d"].tolist() == [1, 1, 8, 6, 3, 5]
    assert weeks["event_timestamp"].iloc[0] == pd.Timestamp("2026-04-20")
    joined = script["point_in_time_join"](labels, features).set_index("customerID")
    assert joined.loc["0004-CUSTE", "support_calls_30d"] == 1


def test_nearest_instead_of_backward_leaks(script, tables):
    labels, features = tables
    nearest = pd.merge_asof(labels.sort_values("prediction_time"), features.sort_values("event_timestamp"),
                            left_on="prediction_time", right_on="event_timestamp", by="customerID",
                            direction="nearest", tolerance=pd.Timedelta("14D"))
    result = script["summarise"](nearest)
    assert result["values_from_the_future"] == 1028 and round(result["auc"], 3) == 0.751
