"""The customer generator: format, determinism, statistics, and the drift and quality switches."""

from __future__ import annotations

import re

import churn.generate
import numpy as np
import pandas as pd
import pytest
from churn.contract import CUSTOMER_CONTRACT, check_record, column_names
from churn.generate import NEW_PAYMENT_METHOD, NO_INTERNET, Drift, Quality, generate_customers
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ADDONS = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """10,000 customers of seed 42 with their true churn probability."""
    return generate_customers(10_000, seed=42, with_probability=True)


def churn_rate(frame: pd.DataFrame) -> float:
    return float((frame["Churn"] == "Yes").mean())


def test_same_seed_gives_the_identical_frame_and_other_seeds_differ():
    pd.testing.assert_frame_equal(generate_customers(500, seed=7), generate_customers(500, seed=7))
    other = generate_customers(500, seed=8)
    assert not generate_customers(500, seed=7).equals(other)
    assert set(generate_customers(500, seed=7)["customerID"]).isdisjoint(other["customerID"])


@pytest.mark.parametrize("rows", [1, 10, 10_000])
def test_any_size_has_the_contract_columns_in_order(rows):
    frame = generate_customers(rows, seed=1)
    assert list(frame.columns) == column_names()
    assert len(frame) == rows
    assert frame["customerID"].is_unique
    assert frame["SeniorCitizen"].dtype == "int64" and frame["tenure"].dtype == "int64"
    assert frame["MonthlyCharges"].dtype == "float64"
    assert frame["Contract"].dtype == "str" and frame["Churn"].dtype == "str"
    assert frame["MonthlyCharges"].round(2).equals(frame["MonthlyCharges"])


def test_zero_rows_and_a_bad_size():
    assert list(generate_customers(0).columns) == column_names()
    assert len(generate_customers(0)) == 0
    with pytest.raises(ValueError, match="rows must be a whole number >= 0, got -1"):
        generate_customers(-1)
    with pytest.raises(ValueError, match="rows must be a whole number"):
        generate_customers(2.5)


def test_probability_column_only_on_request(customers):
    assert list(customers.columns) == [*column_names(), "churn_probability"]
    assert customers["churn_probability"].between(0, 1).all()
    assert "churn_probability" not in generate_customers(5).columns


def test_every_row_honours_the_contract():
    frame = generate_customers(3000, seed=5)
    records = frame.to_dict("records")
    broken = [(record["customerID"], problems) for record in records if (problems := check_record(record))]
    assert broken == []
    first_month = frame["tenure"] == 0
    assert first_month.any(), "3,000 rows should include customers in their first month"
    assert (frame.loc[first_month, "TotalCharges"] == " ").all()
    assert pd.to_numeric(frame.loc[~first_month, "TotalCharges"]).gt(0).all()


def test_total_charges_is_a_float_column_without_first_month_customers():
    frame = generate_customers(10, seed=1)
    assert (frame["tenure"] > 0).all()
    assert frame["TotalCharges"].dtype == "float64"


def test_rows_are_consistent(customers):
    no_internet = customers["InternetService"] == "No"
    for addon in ADDONS:
        assert ((customers[addon] == NO_INTERNET) == no_internet).all(), addon
    assert ((customers["MultipleLines"] == "No phone service") == (customers["PhoneService"] == "No")).all()
    assert not (no_internet & (customers["PhoneService"] == "No")).any(), "every customer has some service"
    mean_charges = customers.groupby("InternetService")["MonthlyCharges"].mean()
    assert mean_charges["Fiber optic"] > mean_charges["DSL"] + 15 > mean_charges["No"] + 15
    billed = customers[customers["tenure"] > 0]
    ratio = billed["TotalCharges"].astype(float) / (billed["tenure"] * billed["MonthlyCharges"])
    assert ratio.between(0.84, 1.16).all()
    assert 0.9 < ratio.std() * 20 < 1.1, "about 5% noise around tenure x MonthlyCharges"


def test_marginal_shares_look_like_the_public_data(customers):
    contract = customers["Contract"].value_counts(normalize=True)
    assert contract["Month-to-month"] == pytest.approx(0.55, abs=0.03)
    assert customers["InternetService"].value_counts(normalize=True)["Fiber optic"] == pytest.approx(0.44, abs=0.03)
    assert customers["SeniorCitizen"].mean() == pytest.approx(0.16, abs=0.02)
    assert customers["MonthlyCharges"].mean() == pytest.approx(64.8, abs=4)


def test_base_churn_rate(customers):
    assert 0.20 <= churn_rate(customers) <= 0.32


def test_churn_signal_points_the_right_way(customers):
    by_contract = customers.groupby("Contract")["Churn"].apply(churn_rate_of)
    assert by_contract["Month-to-month"] > by_contract["One year"] > by_contract["Two year"]
    assert churn_rate(customers[customers["tenure"] <= 6]) > 2 * churn_rate(customers[customers["tenure"] > 24])
    by_internet = customers.groupby("InternetService")["Churn"].apply(churn_rate_of)
    assert by_internet["Fiber optic"] > by_internet["DSL"] > by_internet["No"]
    by_payment = customers.groupby("PaymentMethod")["Churn"].apply(churn_rate_of)
    assert by_payment.idxmax() == "Electronic check"


def churn_rate_of(labels: pd.Series) -> float:
    return float((labels == "Yes").mean())


def bayes_auc(frame: pd.DataFrame) -> float:
    return float(roc_auc_score(frame["Churn"] == "Yes", frame["churn_probability"]))


def test_bayes_optimal_auc_is_realistic_and_documented(customers):
    auc = bayes_auc(customers)
    assert 0.84 <= auc <= 0.89
    stated = re.search(r"the signal allows ROC AUC about (\d\.\d+)", churn.generate.__doc__)
    assert stated, "generate.py's docstring states the AUC the signal allows"
    assert float(stated.group(1)) == pytest.approx(auc, abs=0.001)


def test_a_logistic_regression_learns_the_signal(customers):
    numbers = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
    categories = [c.name for c in CUSTOMER_CONTRACT if c.kind == "category" and c.name != "Churn"]
    features = customers[numbers + categories].assign(
        TotalCharges=pd.to_numeric(customers["TotalCharges"], errors="coerce").fillna(0.0))
    labels = customers["Churn"] == "Yes"
    train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.25, random_state=0,
                                                        stratify=labels)
    model = make_pipeline(ColumnTransformer([("numbers", StandardScaler(), numbers),
                                             ("categories", OneHotEncoder(), categories)]),
                          LogisticRegression(max_iter=1000))
    model.fit(train_x, train_y)
    assert roc_auc_score(test_y, model.predict_proba(test_x)[:, 1]) >= 0.82


# --- drift -------------------------------------------------------------------------------------

BASE = generate_customers(5000, seed=11)


def drifted(**knobs) -> pd.DataFrame:
    return generate_customers(5000, seed=11, drift=Drift(**knobs))


def test_default_drift_changes_nothing():
    pd.testing.assert_frame_equal(generate_customers(5000, seed=11, drift=Drift()), BASE)


def test_month_to_month_share():
    frame = drifted(month_to_month_share=0.8)
    assert (frame["Contract"] == "Month-to-month").mean() == pytest.approx(0.8, abs=0.02)
    rest = frame.loc[frame["Contract"] != "Month-to-month", "Contract"].value_counts(normalize=True)
    assert rest["Two year"] == pytest.approx(0.24 / 0.45, abs=0.05), "the other contracts keep their proportions"
    assert churn_rate(frame) > churn_rate(BASE) + 0.05, "more month-to-month customers churn more"


def test_fiber_share():
    frame = drifted(fiber_share=0.9)
    internet = frame[frame["InternetService"] != "No"]
    assert (internet["InternetService"] == "Fiber optic").mean() == pytest.approx(0.9, abs=0.02)
    assert (frame["InternetService"] == "No").mean() == pytest.approx((BASE["InternetService"] == "No").mean())


def test_monthly_charges_factor():
    frame = drifted(monthly_charges_factor=1.3)
    assert frame["MonthlyCharges"].mean() / BASE["MonthlyCharges"].mean() == pytest.approx(1.3, abs=0.01)
    assert frame["MonthlyCharges"].max() <= 200
    assert drifted(monthly_charges_factor=3.0)["MonthlyCharges"].max() == 200, "clipped to the contract"
    assert frame["Contract"].equals(BASE["Contract"]), "other columns keep their draws"


def test_tenure_shift():
    frame = drifted(tenure_shift_months=12)
    assert frame["tenure"].mean() - BASE["tenure"].mean() > 8
    assert frame["tenure"].between(0, 72).all()
    assert drifted(tenure_shift_months=-100)["tenure"].eq(0).all()


def test_new_payment_method():
    frame = drifted(new_payment_method_share=0.2)
    assert (frame["PaymentMethod"] == NEW_PAYMENT_METHOD).mean() == pytest.approx(0.2, abs=0.02)
    assert NEW_PAYMENT_METHOD not in BASE["PaymentMethod"].unique()


def test_churn_shift_is_concept_drift():
    plain = generate_customers(5000, seed=11, with_probability=True)
    frame = generate_customers(5000, seed=11, drift=Drift(churn_shift=1.0), with_probability=True)
    features = [name for name in column_names() if name != "Churn"]
    pd.testing.assert_frame_equal(frame[features], plain[features])
    log_odds = np.log(frame["churn_probability"] / (1 - frame["churn_probability"]))
    plain_log_odds = np.log(plain["churn_probability"] / (1 - plain["churn_probability"]))
    assert np.allclose(log_odds - plain_log_odds, 1.0)
    assert churn_rate(frame) > churn_rate(plain) + 0.1


@pytest.mark.parametrize("knobs, field", [
    ({"month_to_month_share": 1.5}, "month_to_month_share"),
    ({"fiber_share": -0.1}, "fiber_share"),
    ({"monthly_charges_factor": 0}, "monthly_charges_factor"),
    ({"churn_shift": float("nan")}, "churn_shift"),
])
def test_bad_drift_names_the_field(knobs, field):
    with pytest.raises(ValueError, match=rf"Drift\.{field}"):
        Drift(**knobs)


# --- quality -----------------------------------------------------------------------------------

CLEAN = generate_customers(2000, seed=4)


def dirty(**knobs) -> pd.DataFrame:
    return generate_customers(2000, seed=4, quality=Quality(**knobs))


def changed_rows(frame: pd.DataFrame) -> int:
    same = (frame.astype(str) == CLEAN.astype(str)).all(axis=1)
    return int((~same).sum())


def test_default_quality_is_clean():
    pd.testing.assert_frame_equal(generate_customers(2000, seed=4, quality=Quality()), CLEAN)


def test_null_share():
    frame = dirty(null_share=0.05)
    missing = frame.drop(columns="TotalCharges").isna()
    assert missing.any(axis=1).sum() == 100
    assert missing.sum(axis=1).max() == 1, "one value per row"
    assert (missing.sum() > 0).sum() >= 10, "spread over the columns"
    assert changed_rows(frame) == 100


def test_blank_total_charges_share():
    frame = dirty(blank_total_charges_share=0.05)
    blank = (frame["TotalCharges"] == " ") & (frame["tenure"] > 0)
    assert blank.sum() == 100
    assert changed_rows(frame) == 100


def test_duplicate_share():
    frame = dirty(duplicate_share=0.05)
    assert len(frame) == 2000
    assert frame["customerID"].duplicated().sum() == 100
    assert frame.duplicated().sum() == 100, "whole rows are copied"


def test_out_of_range_share():
    frame = dirty(out_of_range_share=0.05)
    tenure_out = ~frame["tenure"].between(0, 72)
    charges_out = ~frame["MonthlyCharges"].between(0, 200)
    assert (tenure_out | charges_out).sum() == 100
    assert tenure_out.sum() > 25 and charges_out.sum() > 25, "both columns get some"
    assert changed_rows(frame) == 100


def test_quality_problems_go_to_separate_rows():
    frame = dirty(null_share=0.02, blank_total_charges_share=0.02, duplicate_share=0.02, out_of_range_share=0.02)
    assert frame.drop(columns="TotalCharges").isna().any(axis=1).sum() == 40
    assert ((frame["TotalCharges"] == " ") & (frame["tenure"] > 0)).sum() == 40
    assert frame["customerID"].duplicated().sum() == 40
    charges = frame["MonthlyCharges"]
    assert (~frame["tenure"].between(0, 72).fillna(True) | (charges.notna() & ~charges.between(0, 200))).sum() == 40


def test_bad_quality_knobs_are_refused():
    with pytest.raises(ValueError, match=r"Quality\.null_share must be a share between 0 and 1"):
        Quality(null_share=2)
    with pytest.raises(ValueError, match="duplicates counted twice"):
        Quality(null_share=0.5, duplicate_share=0.3)
