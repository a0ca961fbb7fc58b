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
# # One big notebook
#
# This is the churn model as many teams first build it: one notebook that loads the export,
# cleans it, engineers features, trains, evaluates and saves the model, each step a cell or two.
# **Part 1** is that notebook, cells `[1]` to `[6]`. **Part 2** proves its problems, one by one,
# with cells whose output you can check. **Part 3** runs the same steps through the project's
# modules. Lecture 6.2 walks through it and maps every cell onto the module that replaces it.
#
# The site executes this notebook on every build and the test suite executes it again, so every
# number below is what the code printed. It is a percent-format Python file: convert it for Jupyter
# with `jupytext --to ipynb docs/notebooks/one_big_notebook.py`.

# %% [markdown]
# ## The export
#
# The notebook was written against a CSV from the billing system. This cell makes the same kind
# of file with the project's generator, so that you can run it anywhere: 10,000 customers
# (seed 42) with a real export's blemishes, 1% blank `TotalCharges`, 1% duplicated rows and 0.5%
# values out of range. It is the file `churn generate` writes in the lab of lecture 6.2.

# %%
import tempfile
from pathlib import Path

from churn import generate

WORK = Path(tempfile.mkdtemp(prefix="one-big-notebook-"))
EXPORT = WORK / "churn_export.csv"
quality = generate.Quality(blank_total_charges_share=0.01,
                           duplicate_share=0.01,
                           out_of_range_share=0.005)
customers = generate.generate_customers(10_000, seed=42,
                                        quality=quality)
generate.write_table(customers, EXPORT)
print("wrote", EXPORT.name)

# %% [markdown]
# ## Part 1: the notebook
#
# Six cells, as found. The comments are the author's. Each cell's first line names it, `# [1]`
# to `# [6]`, as the lecture does; Jupyter's `In [n]` counter runs one ahead, because the export
# cell above ran first.

# %%
# [1] load
import numpy as np
import pandas as pd

# was "/Users/maria/Downloads/churn_export_final.csv"
DATA = EXPORT
df = pd.read_csv(DATA)
print("loaded", df.shape)

# %%
# [2] clean (from the Telco tutorial)
df["TotalCharges"] = pd.to_numeric(df["TotalCharges"],
                                   errors="coerce")
df = df.dropna()
print("after cleaning", df.shape)

# %%
# [3] features
# skewed, so log it
df["TotalCharges"] = np.log1p(df["TotalCharges"])
df["charges_ratio"] = df["TotalCharges"] / (df["tenure"] + 1)
X = pd.get_dummies(df.drop(columns=["customerID", "Churn"]),
                   drop_first=True)
y = (df["Churn"] == "Yes").astype(int)
print("features", X.shape)

# %%
# [4] train
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0)
model = make_pipeline(StandardScaler(),
                      LogisticRegression(C=1.0, max_iter=1000))
model.fit(X_train, y_train)
print("trained on", len(X_train), "rows")

# %%
# [5] evaluate
from sklearn.metrics import recall_score, roc_auc_score

proba = model.predict_proba(X_test)[:, 1]
called = proba >= 0.35
roc_auc = roc_auc_score(y_test, proba)
cost = (500 * ((y_test == 1) & ~called).sum()
        + 50 * ((y_test == 0) & called).sum())
recall = recall_score(y_test, called)
per_1000 = 1000 * cost / len(y_test)
print(f"ROC AUC {roc_auc:.4f}, recall {recall:.4f}, "
      f"cost per 1000 {per_1000:.0f}")

# %%
# [6] save
import pickle

# was "/Users/maria/models/churn_model_FINAL_v2.pkl"
MODEL_PATH = WORK / "churn_model_FINAL_v2.pkl"
with open(MODEL_PATH, "wb") as file:
    pickle.dump(model, file)
print("saved", MODEL_PATH.name)

# %% [markdown]
# ## Part 2: the problems, measured
#
# Each check below runs the notebook's own cells or inspects what they left behind. `cell()`
# returns a cell's source as the kernel last ran it (from IPython's input history, `In`), so
# `exec(cell("[3]"))` is exactly what pressing Shift+Enter on cell `[3]` again does.

# %%
import ast


def cell(tag: str) -> str:
    """The source of Part 1's cell ``# tag``, as last run."""
    if "In" in globals():  # the kernel's input history
        history = list(globals()["In"])
    else:  # run as a plain script: read the cells from this file
        import jupytext

        cells = jupytext.read(__file__).cells
        history = [c.source for c in cells]
    return [s for s in history if s.startswith(f"# {tag}")][-1]


PART_1 = [cell(f"[{number}]") for number in range(1, 7)]
print("Part 1 has", len(PART_1), "cells")

# %% [markdown]
# ### 1. Hidden state: the same cells, another number
#
# You tweak cell `[3]`, run it, change your mind, run it again; then `[4]` and `[5]`. No line of
# code differs from the cells above, but `df` has now been through `[3]` twice: `TotalCharges` is
# the log of a log, and the ratio is computed from it.

# %%
first_roc_auc = roc_auc
for tag in ("[3]", "[4]", "[5]"):
    exec(cell(tag))
print(f"ROC AUC in order [1]-[5]: {first_roc_auc:.4f}; "
      f"after running [3] twice: {roc_auc:.4f}")
print("same code, same data, same number:",
      first_roc_auc == roc_auc)

# %% [markdown]
# Only "Restart & Run All" gives the first number back, and only if nobody saved the notebook
# in between: the outputs you see are whatever order the author last ran the cells in.

# %%
for tag in ("[1]", "[2]", "[3]", "[4]", "[5]"):
    exec(cell(tag))
print(f"ROC AUC after a fresh run of [1]-[5]: {roc_auc:.4f}; "
      "first run again:", roc_auc == first_roc_auc)

# %% [markdown]
# ### 2. Paths and numbers typed into cells
#
# The notebook was written on one laptop: its two paths do not exist anywhere else, so every
# reader edits cells `[1]` and `[6]` before it runs at all.

# %%
for path in ("/Users/maria/Downloads/churn_export_final.csv",
             "/Users/maria/models/churn_model_FINAL_v2.pkl"):
    print(path, "exists here:", Path(path).exists())

# %% [markdown]
# Its settings are literals in cells `[4]` and `[5]`. The project keeps them in
# `examples/configs/default.yaml`; here they are next to the config's values. Two already
# disagree, so the notebook's numbers cannot be compared with a run of `churn train`; the rest
# are copies that stay behind the day the config changes.

# %%
import churn
from churn.config import load_config

config = load_config(
    Path(churn.__file__).parents[1] / "configs" / "default.yaml")
params, costs = config.model.params, config.costs
# (cell, what it says, its value, the config's key and value)
typed = [
    ("[4]", "test_size=0.25", 0.25, "test_size",
     config.test_size),
    ("[4]", "random_state=0", 0, "seed", config.seed),
    ("[4]", "C=1.0", 1.0, "model.params.C", params["C"]),
    ("[4]", "max_iter=1000", 1000, "model.params.max_iter",
     params["max_iter"]),
    ("[5]", "proba >= 0.35", 0.35, "threshold", config.threshold),
    ("[5]", "500 * ", 500, "costs.missed_churner",
     costs.missed_churner),
    ("[5]", "50 * ", 50, "costs.wasted_offer",
     costs.wasted_offer),
]
for tag, text, value, key, in_config in typed:
    assert text in cell(tag), (tag, text)  # it is in that cell
    verdict = "a copy" if value == in_config else "DIFFERS"
    print(f"{tag} {text.strip():15} {key} = {in_config:g}:",
          verdict)

# %% [markdown]
# ### 3. A copied cleaning step that disagrees with the validated one
#
# Cell `[2]` is the tutorial's two lines. The project's `churn.validate` applies the data
# contract's rules to the same file. Run both on the export and compare what they keep.

# %%
from churn.contract import get_column
from churn.validate import validate

raw = pd.read_csv(DATA)
exec(cell("[1]"))
exec(cell("[2]"))
notebook_clean = df
validated, report = validate(raw)
print(report.summary())
print("rows kept: notebook", len(notebook_clean),
      "| churn.validate", len(validated))
blank = raw["TotalCharges"].astype(str).str.strip().eq("")
print("rows the notebook drops:", len(raw) - len(notebook_clean),
      "| with a blank TotalCharges:", int(blank.sum()))
duplicates = notebook_clean["customerID"].duplicated()
print("duplicated customerID kept by the notebook:",
      int(duplicates.sum()))
out_of_range = pd.Series(False, index=notebook_clean.index)
for name in ("tenure", "MonthlyCharges"):  # the contract's ranges
    column = get_column(name)
    out_of_range |= ~notebook_clean[name].between(column.minimum,
                                                  column.maximum)
print("out-of-range tenure or MonthlyCharges kept by the",
      "notebook:", int(out_of_range.sum()))

# %% [markdown]
# The duplicates are worse than noise: a copy of a customer can land in the training split and
# another in the test split, so the model is graded on customers it has seen.

# %%
exec(cell("[3]"))
exec(cell("[4]"))
ids = notebook_clean["customerID"]
seen = ids.loc[X_test.index].isin(set(ids.loc[X_train.index]))
print("test rows whose customer is also in the training split:",
      int(seen.sum()), "of", len(X_test))

# %% [markdown]
# ### 4. A model without its features, metrics nowhere
#
# Cell `[6]` pickled the scaler and the estimator. Their inputs were made by cells `[2]` and
# `[3]`, so scoring new customers means running those cells again, and `get_dummies` on a small
# batch makes other columns than it made on 10,000 rows.

# %%
with open(MODEL_PATH, "rb") as file:
    saved = pickle.load(file)
# three customers to score: replay cells [2] and [3] on them
df = pd.read_csv(DATA).head(3)
exec(cell("[2]"))
exec(cell("[3]"))
print("the pickle expects", saved.n_features_in_, "columns;",
      "cells [2] and [3] on 3 customers make", X.shape[1])
try:
    saved.predict_proba(X)
except ValueError as error:
    print("ValueError:", str(error).splitlines()[0])

# %% [markdown]
# And the results? The ROC AUC, the recall and the cost exist only as printed text in cell `[5]`:
# the folder holds the export and the pickle, and nothing says which data, which settings or
# which code made it.

# %%
print("files the notebook left:",
      sorted(p.name for p in WORK.iterdir()))

# %% [markdown]
# ### 5. No tests: nothing to call
#
# A test calls a function with an input it chose and checks the output. The notebook defines no
# function, so the cleaning rule of cell `[2]` can only be checked by running the whole notebook.

# %%
functions = [node.name for source in PART_1
             for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.FunctionDef)]
print("functions in cells [1]-[6]:", len(functions))

# %% [markdown]
# ## Part 3: the same steps through the project's modules
#
# The same export, through `churn.train`: validated by the contract's rules, split by the
# config's `test_size` and `seed`, the features inside the fitted pipeline. Run twice, it gives
# the same numbers twice; `churn train` then records them with `churn.tracking`.

# %%
from churn.features import build_pipeline, feature_frame, target
from churn.train import load_training_data

runs = []
for _ in range(2):
    data = load_training_data(config, EXPORT)
    pipeline = build_pipeline(config.model.kind, params,
                              seed=config.seed)
    pipeline.fit(feature_frame(data.train), target(data.train))
    test_features = feature_frame(data.test)
    scores = pipeline.predict_proba(test_features)[:, 1]
    runs.append(roc_auc_score(target(data.test), scores))
print(f"churn.train on the export: ROC AUC {runs[0]:.4f}, "
      f"again {runs[1]:.4f}, identical: {runs[0] == runs[1]}")
three, _ = validate(pd.read_csv(DATA).head(3),
                    require_target=False)
print("the fitted pipeline scores the same 3 customers:",
      pipeline.predict_proba(feature_frame(three))[:, 1].round(3))

# %% [markdown]
# The notebook's scratch folder goes; the lecture's lab keeps its own files in a folder of yours.

# %%
import shutil

shutil.rmtree(WORK)
