"""The DVC pipeline (examples/dvc.yaml): it reproduces, does nothing a second time, reruns what a change affects."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from churn.config import load_config
from churn.generate import generate_customers
from churn.pipeline import stages

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DVC_YAML = yaml.safe_load((EXAMPLES / "dvc.yaml").read_text(encoding="utf-8"))
CONFIG = "configs/default.yaml"
STAGES = ["ingest", "validate", "train", "evaluate"]


def test_the_stages_read_the_experiment_config_and_name_keys_it_has():
    config = load_config(EXAMPLES / CONFIG).model_dump()
    assert list(DVC_YAML["stages"]) == STAGES
    for name, stage in DVC_YAML["stages"].items():
        assert stage["cmd"].startswith(f"python -m churn.pipeline.stages {name} ")
        for entry in stage.get("params", []):
            assert list(entry) == [CONFIG], f"stage {name}: parameters come from {CONFIG}, the file churn train reads"
            assert set(entry[CONFIG]) <= set(config), f"stage {name} names a key {CONFIG} does not have"
        if "params" in stage:
            assert f"--config {CONFIG}" in stage["cmd"]
        for dep in stage["deps"]:
            assert dep.startswith(("data/", "models/", "reports/")) or (EXAMPLES / dep).is_file(), dep


def test_the_validate_stage_stops_on_a_wrong_column_set_with_the_report(tmp_path, capsys):
    raw = tmp_path / "raw.csv"
    generate_customers(200, seed=3).rename(columns={"PaymentMethod": "payment_method"}).to_csv(raw, index=False)
    code = stages.main(["validate", "--input", str(raw), "--output", str(tmp_path / "validated.parquet"),
                        "--report", str(tmp_path / "validation.json")])
    assert code == stages.EXIT_REFUSED
    assert "PaymentMethod | missing column" in re.sub(r" +\|", " |", capsys.readouterr().err)
    assert not (tmp_path / "validated.parquet").exists()
    assert json.loads((tmp_path / "validation.json").read_text())["ok"] is False


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    """A git repository holding the project's package, its config (2,000 rows) and dvc.yaml, after `dvc init`."""
    pytest.importorskip("dvc", reason="DVC is the project's optional `versioning` extra: "
                                      "pip install -e 'examples[versioning]'")
    folder = tmp_path_factory.mktemp("dvc-repo")
    shutil.copytree(EXAMPLES / "churn", folder / "churn", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(EXAMPLES / "dvc.yaml", folder / "dvc.yaml")
    (folder / "configs").mkdir()
    config = (EXAMPLES / CONFIG).read_text(encoding="utf-8")
    (folder / CONFIG).write_text(config.replace("generated_rows: 10000", "generated_rows: 2000"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(folder), "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ['PATH']}", "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com", "DVC_NO_ANALYTICS": "1"}

    def run(*command: str) -> str:
        result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300,
                                check=False)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def dvc(*args: str) -> str:
        return run(sys.executable, "-m", "dvc", *args)

    run("git", "init", "-q")
    dvc("init", "-q")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "the project")
    return folder, dvc, {"first": dvc("repro"), "second": dvc("repro")}


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def test_dvc_repro_runs_every_stage_and_writes_the_metrics(repository):
    folder, _, outputs = repository
    assert ran(outputs["first"]) == STAGES
    for path in ["data/raw.parquet", "data/validated.parquet", "data/test.parquet", "models/model.skops",
                 "models/model.onnx", "reports/validation.json", "dvc.lock"]:
        assert (folder / path).is_file(), path
    metrics = json.loads((folder / "reports/metrics.json").read_text())
    assert metrics["roc_auc"] > 0.75 and set(metrics) >= {"pr_auc", "f1", "cost_per_1000"}


def test_a_second_repro_does_nothing(repository):
    _, dvc, outputs = repository
    assert ran(outputs["second"]) == []
    assert "Data and pipelines are up to date" in dvc("status")


def test_a_new_model_parameter_reruns_train_and_evaluate_only(repository):
    folder, dvc, _ = repository
    config = folder / CONFIG
    config.write_text(config.read_text(encoding="utf-8").replace("C: 1.0", "C: 0.05"), encoding="utf-8")
    before = json.loads((folder / "reports/metrics.json").read_text())
    assert ran(dvc("repro")) == ["train", "evaluate"]
    after = json.loads((folder / "reports/metrics.json").read_text())
    assert after["roc_auc"] != before["roc_auc"]
