"""The command each container runs starts with only the image's locked requirements importable.

The project's environment has the training stack, so a command that needs pyarrow or scikit-learn
would pass every other test and crash in the image (as ``churn serve`` did as the Deployment's
command). Each command is resolved as the runtime does (Kubernetes' ``command``/``args`` and
Compose's ``entrypoint``/``command`` against the Dockerfile's ENTRYPOINT/CMD) and run under
``tests/examples/service_env_guard.py``, which hides every module outside the lock files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.examples.container_rules import parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GUARD = Path(__file__).with_name("service_env_guard.py")
SERVICE, REGISTRY = EXAMPLES / "requirements/service.txt", EXAMPLES / "requirements/registry.txt"
# What each Dockerfile target installs; CI builds "registry" for Kubernetes, Compose builds "bundle" by default.
LOCKS = {"bundle": [SERVICE], "registry": [SERVICE, REGISTRY]}
UNREACHABLE_REGISTRY = {"CHURN_TRACKING_URI": "http://127.0.0.1:9", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
                        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"}


def image_command() -> tuple[list[str], list[str]]:
    """The Dockerfile's ENTRYPOINT and CMD (exec form)."""
    instructions = parse_dockerfile((EXAMPLES / "Dockerfile").read_text(encoding="utf-8"))
    entrypoint = [json.loads(i.arguments) for i in instructions if i.keyword == "ENTRYPOINT"][-1]
    command = [json.loads(i.arguments) for i in instructions if i.keyword == "CMD"][-1]
    return entrypoint, command


def resolve(entrypoint_override: list[str] | None, command_override: list[str] | None) -> list[str]:
    """What the container runs: an ENTRYPOINT override drops the image's CMD too (Kubernetes and Compose alike)."""
    entrypoint, command = image_command()
    if entrypoint_override is not None:
        return [*entrypoint_override, *(command_override or [])]
    return [*entrypoint, *(command if command_override is None else command_override)]


def kubernetes_command() -> list[str]:
    (deployment,) = [document for document in yaml.safe_load_all(
        (EXAMPLES / "deploy/k8s/base/deployment.yaml").read_text(encoding="utf-8")) if document]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return resolve(container.get("command"), container.get("args"))


def compose_command() -> list[str]:
    api = yaml.safe_load((EXAMPLES / "compose.yaml").read_text(encoding="utf-8"))["services"]["api"]
    return resolve(api.get("entrypoint"), api.get("command"))


def on_free_port(command: list[str]) -> tuple[list[str], int]:
    """The command listening on 127.0.0.1 and a free port instead of its own --host and --port."""
    assert "--port" in command and "--host" in command, f"{command}: name --host and --port"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = list(command)
    command[command.index("--port") + 1], command[command.index("--host") + 1] = str(port), "127.0.0.1"
    return command, port


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start_guarded(command: list[str], locks: list[Path], environment: dict[str, str], workdir: Path):
    """Start ``command`` under the guard; return the process and the port it listens on."""
    command, port = on_free_port(command)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLES)]),
           "HOME": str(workdir), "CHURN_API_KEY": "command-check",
           "CHURN_PREDICTION_LOG": str(workdir / "prediction_log.jsonl"), **environment}
    locks_arguments = [part for lock in locks for part in ("--lock", str(lock))]
    process = subprocess.Popen([sys.executable, GUARD, *locks_arguments, "--", *command], env=env, cwd=workdir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, port


def wait_for(process: subprocess.Popen, url: str, done, seconds: float = 60) -> dict:
    """Poll ``url`` until ``done(status, answer)``; fail with the server's stderr if it exits first."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            pytest.fail(f"the command exited with {process.returncode}:\n{process.stderr.read()[-3000:]}")
        try:
            status, answer = get(url)
            if done(status, answer):
                return answer
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer as expected within {seconds:g} s")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A small trained model as a bundle (trained here, with the training stack)."""
    from churn.config import load_config
    from churn.model_bundle import write_bundle
    from churn.train import load_training_data, train

    config = load_config(None, data={"generated_rows": 2000})
    folder = tmp_path_factory.mktemp("command-bundle") / "model"
    write_bundle(folder, train(config, load_training_data(config)).onnx, model_name="churn", model_version="7",
                 threshold=config.threshold)
    return folder


@pytest.mark.parametrize(("name", "command", "target"), [
    ("image", resolve(None, None), "bundle"),
    ("compose api", compose_command(), "bundle"),
    ("kubernetes", kubernetes_command(), "registry"),
], ids=["image-bundle", "compose", "kubernetes"])
def test_container_command_serves_a_bundle_with_only_the_locked_requirements(name, command, target, bundle,
                                                                              tmp_path):
    process, port = start_guarded(command, LOCKS[target], {"CHURN_MODEL_DIR": str(bundle)}, tmp_path)
    try:
        answer = wait_for(process, f"http://127.0.0.1:{port}/ready", lambda status, _: status == 200)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answer["model_version"] == "7", f"{name}: {answer}"


@pytest.mark.parametrize(("name", "command"), [("image", resolve(None, None)), ("kubernetes", kubernetes_command())],
                         ids=["image-registry", "kubernetes"])
def test_registry_target_reaches_the_registry_with_only_the_locked_requirements(name, command, tmp_path):
    """No bundle: the loader imports MLflow and asks the (unreachable) registry, not fails on an import."""
    process, port = start_guarded(command, LOCKS["registry"], UNREACHABLE_REGISTRY, tmp_path)
    try:
        answer = wait_for(process, f"http://127.0.0.1:{port}/ready",
                          lambda status, body: status == 503 and "could not load" in body.get("status", ""))
    finally:
        process.terminate()
        process.wait(timeout=30)
    status = answer["status"]
    assert "TrackingUnreachable" in status and "127.0.0.1:9" in status, f"{name}: {status}"


def test_the_guard_refuses_a_command_that_needs_the_training_stack(tmp_path):
    """``churn serve`` imports the whole CLI (pyarrow, the training stack): it cannot start in the image."""
    process, _ = start_guarded(["churn", "serve", "--host", "0.0.0.0", "--port", "8080"], LOCKS["registry"], {},
                               tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "pyarrow is hidden (pyarrow is not in service.txt + registry.txt)" in stderr, stderr[-2000:]


def test_kubernetes_and_compose_run_the_image_entrypoint():
    """One place says how the service starts: the Dockerfile. The manifests only pass arguments, if any."""
    entrypoint, _ = image_command()
    assert kubernetes_command()[:len(entrypoint)] == entrypoint
    assert compose_command()[:len(entrypoint)] == entrypoint


def test_compose_monitoring_exporter_serves_the_summaries_with_only_the_service_lock(tmp_path):
    """The exporter runs in the API's image: ``python -m churn.monitoring.exporter``, not the ``churn`` CLI."""
    from prometheus_client.parser import text_string_to_metric_families

    from tests.examples.monitoring_fixtures import DRIFT, PERFORMANCE, write

    service = yaml.safe_load((EXAMPLES / "compose.yaml").read_text(encoding="utf-8"))["services"]["monitoring-exporter"]
    command = resolve(service.get("entrypoint"), service.get("command"))
    drift, performance = write(tmp_path, DRIFT, PERFORMANCE)
    command[command.index("--drift") + 1], command[command.index("--performance") + 1] = str(drift), str(performance)
    process, port = start_guarded(command, LOCKS["bundle"], {}, tmp_path)
    try:
        deadline, text = time.monotonic() + 60, None
        while text is None and time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the exporter exited with {process.returncode}:\n{process.stderr.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
                    text = answer.read().decode()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert text is not None, "the exporter did not answer within 60 s"
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"churn_feature_drift_psi", "churn_realised_roc_auc", "churn_monitoring_report_up"} <= names
