"""Lecture 6.1: the same config, seed and data give identical metrics; the fingerprint tells which input changed."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples/lectures/s06/rerun_same_config.py"


def test_rerun_is_identical_and_the_fingerprint_names_the_change():
    script = runpy.run_path(str(SCRIPT))  # tests/examples/test_lecture_scripts.py runs it as a student does
    results = script["compare"]()
    assert list(results) == ["default", "default again", "seed 7", "data seed 7"]
    default, again, seed, data = (results[name] for name in results)
    assert again == default  # the same fingerprint and every metric, to the last digit
    assert seed["fingerprint"] == default["fingerprint"]  # same customers: the split is not in the fingerprint
    assert seed["roc_auc"] != default["roc_auc"] and seed["pr_auc"] != default["pr_auc"]  # another held-out part
    assert data["fingerprint"] != default["fingerprint"]  # other customers: another fingerprint
    assert data["roc_auc"] != default["roc_auc"]
    assert all(abs(result["roc_auc"] - default["roc_auc"]) < 0.03 for result in results.values())  # same quality
    table = script["report"](results)
    assert "default again identical to default (fingerprint and every metric): True" in table


def test_the_runs_use_the_projects_config_as_it_is():
    script = runpy.run_path(str(SCRIPT))
    runs = script["RUNS"]
    from churn.config import load_config

    config = load_config(ROOT / "examples/configs/default.yaml")
    assert runs["default"] == config and runs["default again"] == config
    assert runs["seed 7"].seed == 7 and runs["seed 7"].data == config.data
    assert runs["data seed 7"].data.generator_seed == 7 and runs["data seed 7"].seed == config.seed


def test_for_the_default_model_the_seed_decides_only_the_split():
    """The page says so of `seed 7`: logistic regression (lbfgs) fits the same model whatever its random_state."""
    import numpy as np
    from churn.config import load_config
    from churn.features import build_pipeline, feature_frame, target
    from churn.train import load_training_data

    config = load_config(ROOT / "examples/configs/default.yaml")
    data = load_training_data(config)
    scores = [build_pipeline(config.model.kind, config.model.params, seed=seed)
              .fit(feature_frame(data.train), target(data.train)).predict_proba(feature_frame(data.test))
              for seed in (config.seed, 7)]
    assert np.array_equal(scores[0], scores[1])
    assert len(data.test) == 2_000  # the held-out part the lab's step 3 names
