# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A tour of the data contract
#
# This notebook is stored as a percent-format Python file (paired with Jupyter through
# [jupytext](https://jupytext.readthedocs.io/)), so its diff in a pull request is plain Python.
# The site executes it on every build and the test suite executes it too: if the contract
# changes in a way that breaks it, both fail.
#
# Open it in Jupyter with `jupytext --to ipynb docs/notebooks/contract_tour.py`, or run it as a
# script.

# %%
import pandas as pd
from churn.contract import CUSTOMER_CONTRACT, check_record, feature_columns

contract = pd.DataFrame(
    [
        {"column": c.name, "kind": c.kind, "allowed": ", ".join(c.allowed), "min": c.minimum, "max": c.maximum}
        for c in CUSTOMER_CONTRACT
    ]
)
contract.head(8)

# %% [markdown]
# The contract has 21 columns: an id, 19 features and the target. The model may only learn from
# the features.

# %%
print(len(CUSTOMER_CONTRACT), "columns,", len(feature_columns()), "features")

# %% [markdown]
# ## Checking records
#
# `check_record` returns every violation of one record. A record straight from the public data
# set passes; the same record with two typical blemishes does not.

# %%
good = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes",
    "Dependents": "No", "tenure": 1, "PhoneService": "No", "MultipleLines": "No phone service",
    "InternetService": "DSL", "OnlineSecurity": "No", "OnlineBackup": "Yes",
    "DeviceProtection": "No", "TechSupport": "No", "StreamingTV": "No", "StreamingMovies": "No",
    "Contract": "Month-to-month", "PaperlessBilling": "Yes", "PaymentMethod": "Electronic check",
    "MonthlyCharges": 29.85, "TotalCharges": 29.85, "Churn": "No",
}
bad = {**good, "tenure": 99, "Contract": "Monthly"}
print("good record:", check_record(good))
for violation in check_record(bad):
    print("bad record:", violation)
