"""Tracking, registry aliases, the promotion gate, rollback, predict() and the CLI, on a temp MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_REGISTRY, main
from churn.config import load_config
from churn.governance.approvals import Approval, promote, rollback
from churn.predict import load_champion, predict
from churn.registry import CHALLENGER, CHAMPION, PREVIOUS, RegistryError, aliases, registry_client
from churn.tracking import log_run
from churn.train import load_training_data, train


def config_for(tracking_uri, name, **overrides):
    return load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri, "registered_model": name},
                       **overrides)


APPROVAL = Approval("test", "the gate decides in these tests")
APPROVE = ["--approved-by", "test", "--reason", "first model"]


def train_and_log(config):
    data = load_training_data(config)
    return data, log_run(train(config, data), config)


def test_run_is_logged_with_params_metrics_plots_and_fingerprint(tracking_uri):
    import mlflow

    config = config_for(tracking_uri, "logged")
    _, registered = train_and_log(config)
    run = mlflow.MlflowClient(tracking_uri).get_run(registered.run_id)
    assert run.data.params["model.kind"] == "logistic_regression"
    assert run.data.metrics["roc_auc"] > 0.8
    assert len(run.data.tags["data_fingerprint"]) == 64
    if (Path(__file__).resolve().parents[2] / ".git").exists():
        assert len(run.data.tags["mlflow.source.git.commit"]) == 40, "the code version is recorded on every run"
        assert run.data.tags["git_dirty"] in {"true", "false"}
    artifacts = {item.path for item in mlflow.MlflowClient(tracking_uri).list_artifacts(registered.run_id, "plots")}
    assert artifacts == {"plots/roc_curve.png", "plots/pr_curve.png", "plots/confusion_matrix.png"}
    assert aliases(config) == {CHALLENGER: registered.version}


def test_gate_promotes_then_refuses_a_worse_model_then_rolls_back(tracking_uri):
    config = config_for(tracking_uri, "gated")
    data, first = train_and_log(config)
    result = promote(config, data.test, APPROVAL)
    assert result.promoted and aliases(config) == {CHAMPION: first.version}

    weak = config_for(tracking_uri, "gated", model={"kind": "logistic_regression", "params": {"C": 1e-5}})
    train_and_log(weak)
    refused = promote(config, data.test, APPROVAL)
    assert not refused.promoted and any("below the minimum" in reason or "does not beat" in reason
                                        for reason in refused.reasons)
    assert aliases(config)[CHAMPION] == first.version, "a failed gate must leave the champion as it was"

    # The same settings as the first model reproduce its metrics; with a zero margin, equal is enough.
    equal = config_for(tracking_uri, "gated", promotion={"margin": 0.0})
    _, third = train_and_log(equal)
    assert promote(equal, data.test, APPROVAL).promoted
    assert aliases(config)[CHAMPION] == third.version and aliases(config)[PREVIOUS] == first.version

    assert rollback(config, APPROVAL) == (third.version, first.version)
    assert aliases(config)[CHAMPION] == first.version
    with pytest.raises(RegistryError, match="no 'previous_champion'"):
        rollback(config, APPROVAL)


def test_predict_loads_the_champion_by_alias(tracking_uri):
    config = config_for(tracking_uri, "served")
    data, registered = train_and_log(config)
    promote(config, data.test, APPROVAL)
    records = data.test.drop(columns=["Churn"]).head(5).to_dict(orient="records")
    predictions = predict(records, tracking_uri=tracking_uri, model_name="served")
    assert [p.model_version for p in predictions] == [registered.version] * 5
    assert all(0 <= p.probability <= 1 for p in predictions)
    assert load_champion(tracking_uri, "served").threshold == config.threshold
    with pytest.raises(LookupError, match="train and promote"):
        load_champion(tracking_uri, "never-trained")


def test_cli_train_refuses_bad_data_and_leaves_the_registry_untouched(tracking_uri, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("customerID,gender\n7590-VHVEG,Female\n")
    code = main(["train", "--data", str(bad), "--tracking-uri", tracking_uri])
    assert code == EXIT_REFUSED
    assert "missing column" in capsys.readouterr().err
    assert aliases(config_for(tracking_uri, "churn")) == {}
    assert main(["train", "--data", str(tmp_path / "nope.csv"), "--tracking-uri", tracking_uri]) == EXIT_BAD_INPUT
    assert "nope.csv" in capsys.readouterr().err


def test_cli_config_errors_and_registry_state(tracking_uri, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("tracking:\n  registered_model: cli-model\nsed: 3\n")
    assert main(["train", "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_BAD_INPUT
    assert "sed: unknown key" in capsys.readouterr().err
    config.write_text("data:\n  generated_rows: 2000\ntracking:\n  registered_model: cli-model\n")
    assert main(["promote", "--config", str(config), "--tracking-uri", tracking_uri, *APPROVE]) == EXIT_REGISTRY
    assert main(["rollback", "--config", str(config), "--tracking-uri", tracking_uri, *APPROVE]) == EXIT_REGISTRY
    assert main(["train", "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["version"] == "1"
    assert main(["promote", "--config", str(config), "--tracking-uri", tracking_uri, *APPROVE]) == EXIT_OK


def test_cli_generate_validate_and_predict(tracking_uri, tmp_path, capsys):
    data = tmp_path / "customers.csv"
    assert main(["generate", "--rows", "300", "--seed", "3", "--output", str(data)]) == EXIT_OK
    assert main(["validate", str(data), "--json", str(tmp_path / "report.json")]) == EXIT_OK
    assert json.loads((tmp_path / "report.json").read_text())["rows_in"] == 300
    dirty = tmp_path / "dirty.csv"
    assert main(["generate", "--rows", "300", "--out-of-range-share", "0.2", "--output", str(dirty)]) == EXIT_OK
    assert main(["validate", str(dirty)]) == EXIT_REFUSED
    config = tmp_path / "c.yaml"
    config.write_text("data:\n  generated_rows: 2000\ntracking:\n  registered_model: cli-predict\n")
    assert main(["train", "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_OK
    assert main(["promote", "--config", str(config), "--tracking-uri", tracking_uri, *APPROVE]) == EXIT_OK
    capsys.readouterr()
    assert main(["predict", str(data), "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 300 and {"customerID", "churn_probability", "churn", "model_version"} <= set(lines[0])


def test_cli_help_for_every_command(capsys):
    for command in ("generate", "validate", "train", "promote", "rollback", "predict", "serve", "erase"):
        with pytest.raises(SystemExit) as caught:
            main([command, "--help"])
        assert caught.value.code == 0
        assert command in capsys.readouterr().out


def test_cli_every_argument_says_what_it_is():
    import argparse

    from churn.cli import build_parser

    subparsers = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    silent = [f"churn {name} {action.dest}" for name, command in subparsers.choices.items()
              for action in command._actions if not action.help]
    assert not silent, f"arguments without help text: {silent}"


def test_cli_serve_without_an_api_key_says_which_variable(monkeypatch, capsys):
    monkeypatch.delenv("CHURN_API_KEY", raising=False)
    assert main(["serve", "--port", "1"]) == EXIT_BAD_INPUT
    assert "CHURN_API_KEY is required" in capsys.readouterr().err


def test_cli_serve_on_a_taken_port_says_how_to_fix_it(monkeypatch, capsys):
    import socket

    monkeypatch.setenv("CHURN_API_KEY", "a-test-key-of-enough-length")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error and f"--port {port + 1}" in error


def test_code_version_names_the_commit_and_whether_the_tree_was_dirty(tmp_path):
    import subprocess

    from churn.tracking import code_version

    assert code_version(tmp_path) == {}, "outside a Git checkout there is no commit to record"

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "train.py").write_text("print('v1')\n")
    git("add", "train.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "v1")
    assert code_version(tmp_path) == {"mlflow.source.git.commit": git("rev-parse", "HEAD"), "git_dirty": "false"}
    (tmp_path / "train.py").write_text("print('v2')\n")
    assert code_version(tmp_path)["git_dirty"] == "true"


def test_artifacts_live_next_to_a_sqlite_store(tmp_path):
    from churn.tracking import artifact_location

    assert artifact_location(f"sqlite:///{tmp_path}/store/mlflow.db") == (tmp_path / "store" / "mlruns").as_uri()
    assert artifact_location("http://mlflow.internal:5000") is None


def test_promote_in_a_new_process_uses_the_configured_store(tmp_path):
    """The gate loads models from the store given by --tracking-uri, not from ./mlflow.db or the shell's store."""
    import os
    import subprocess
    import sys

    uri = f"sqlite:///{tmp_path}/elsewhere.db"
    work = tmp_path / "cwd"
    work.mkdir()
    decoy = f"sqlite:///{tmp_path}/decoy.db"  # a store left in the shell must not win over --tracking-uri
    env = {**os.environ, "MLFLOW_TRACKING_URI": decoy, "MLFLOW_REGISTRY_URI": decoy}

    def churn(*args):
        return subprocess.run([sys.executable, "-m", "churn.cli", *args, "--tracking-uri", uri], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300, check=False)

    data = tmp_path / "customers.csv"
    assert subprocess.run([sys.executable, "-m", "churn.cli", "generate", "--rows", "1500", "--output", str(data)],
                          cwd=work, capture_output=True, check=False).returncode == 0
    trained = churn("train", "--data", str(data))
    assert trained.returncode == 0, trained.stderr
    run = registry_client(uri).get_run(json.loads(trained.stdout)["run_id"])
    assert run.data.params["data.path"] == str(data), "the params name the file trained on, as the tags do"
    assert run.data.tags["data_source"] == str(data)
    promoted = churn("promote", "--data", str(data), *APPROVE)
    assert promoted.returncode == 0, promoted.stderr
    assert not (work / "mlflow.db").exists() and not (work / "mlruns").exists(), "nothing is left in the cwd"
    assert (tmp_path / "mlruns").is_dir()
    assert not (tmp_path / "decoy.db").exists()


def test_the_champion_moves_only_with_an_approval_and_only_from_the_gated_state(tracking_uri):
    from churn.registry import move_champion, run_gate

    config = config_for(tracking_uri, "guarded")
    data, first = train_and_log(config)
    result = run_gate(config, data.test)
    assert result.passed
    with pytest.raises(RegistryError, match="needs a passed gate and an approval"):
        move_champion(config, result, {"approval_reason": "no approver named"})
    assert CHAMPION not in aliases(config), "a refused move leaves the registry as it was"

    promote(config, data.test, APPROVAL)  # champion moves after `result` was computed
    with pytest.raises(RegistryError, match="moved while the gate ran"):
        move_champion(config, result, {"approved_by": "test"})
    assert aliases(config)[CHAMPION] == first.version
