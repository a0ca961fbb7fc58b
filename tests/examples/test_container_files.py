"""The service's Dockerfile, the stack's compose.yaml and their companions, validated offline (no Docker engine).

Real validators (hadolint, ``docker compose config``, the compose-spec JSON schema), the course's own
rules (``tests/examples/container_rules.py``), cross-checks against the code (settings, metrics path,
pins), and broken copies that must fail naming the file and the rule.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from tests.examples.container_rules import INTERPOLATION, compose_problems, dockerfile_problems, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCKERFILE, COMPOSE, ENV_EXAMPLE = EXAMPLES / "Dockerfile", EXAMPLES / "compose.yaml", EXAMPLES / ".env.example"
GRAFANA = EXAMPLES / "deploy" / "grafana"
BIN = Path(sys.executable).parent
TRAINING_STACK = {"mlflow", "scikit-learn", "skl2onnx", "onnx", "matplotlib", "scipy", "pyarrow", "dagster", "dvc"}


def tool(name: str) -> Path:
    """The validator next to this interpreter (installed by the course's test extra), or skip."""
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed next to {sys.executable} (make test installs it)")
    return path


def compose_document() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """Copy ``source`` with one change (the original text must be there, so the test cannot go stale)."""
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {source.name}: update the test"
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by normalised name."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def direct_pins(path: Path) -> dict[str, str]:
    """The pins between the ``# direct`` and ``# transitive`` markers of a lock file."""
    text = path.read_text(encoding="utf-8")
    section = text.split("\n# direct\n", 1)[1].split("\n# transitive", 1)[0]
    return pins_from_text(section)


def pins_from_text(text: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1].strip()
            for line in text.splitlines() if "==" in line and not line.startswith("#")}


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((EXAMPLES / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return pins_from_text("\n".join(project["dependencies"]))


# ---- real validators on the real files

@pytest.mark.parametrize("dockerfile", [DOCKERFILE, EXAMPLES / "deploy" / "mlflow" / "Dockerfile"],
                         ids=["service", "mlflow"])
def test_hadolint_finds_nothing(dockerfile):
    result = subprocess.run([tool("hadolint"), "--no-color", dockerfile], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_compose_config_accepts_the_stack_with_the_example_env(tmp_path):
    result = subprocess.run([tool("docker-compose"), "--env-file", ENV_EXAMPLE, "-f", COMPOSE, "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_config_without_env_names_the_missing_secret(tmp_path):
    copy = tmp_path / "compose.yaml"
    shutil.copy(COMPOSE, copy)
    shutil.copytree(EXAMPLES / "deploy", tmp_path / "deploy")
    environment = {key: value for key, value in os.environ.items() if key not in ENV_EXAMPLE.read_text()}
    result = subprocess.run([tool("docker-compose"), "-f", copy, "config", "-q"], capture_output=True, text=True,
                            cwd=tmp_path, env=environment)
    assert result.returncode != 0
    assert "CHURN_API_KEY is missing a value: set CHURN_API_KEY in .env" in result.stderr


def test_compose_file_matches_the_compose_spec_schema():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_pip_check_runs_before_the_project_is_installed():
    """In every stage, with what its parent stages installed, pip check comes before churn's --no-deps install.

    pip check reports every installed distribution's unmet requirements, and churn declares the training
    stack the image leaves out, so a check after it fails the build (it once broke the registry target).
    """
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    parents = {i.stage: i.arguments.split()[0] for i in instructions if i.keyword == "FROM"}
    runs = [i for i in instructions if i.keyword == "RUN"]
    for stage in parents:
        chain = [stage]
        while parents[chain[0]] in parents:
            chain.insert(0, parents[chain[0]])
        steps = [part.strip() for i in runs if i.stage in chain for part in i.arguments.split("&&")]
        project = [n for n, step in enumerate(steps) if "install --no-deps" in step and step.endswith(" .")]
        checks = [n for n, step in enumerate(steps) if step.endswith("/opt/venv/bin/python check")]
        assert not project or all(n < project[0] for n in checks), f"stage {stage}: pip check after churn"


def test_the_course_rules_hold_for_the_real_files():
    assert dockerfile_problems(DOCKERFILE) == []
    assert compose_problems(COMPOSE, ENV_EXAMPLE) == []


# ---- broken copies: the validators must fail, naming the file and the rule

@pytest.mark.parametrize(("old", "new", "rule"), [
    ("FROM ${PYTHON_IMAGE} AS runtime", "FROM python:latest AS runtime", "DL3007"),
    ("USER 10001:10001\n\n# ---- bundle", "USER root\n\n# ---- bundle", "DL3002"),
    ("ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER 10001:10001", "ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER root",
     "DL3002"),
    ("ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER 10001:10001", "ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER churn",
     "DL3066"),
], ids=["latest-tag", "root-in-registry-target", "root-in-final-stage", "user-by-name"])
def test_hadolint_fails_on_a_broken_copy(tmp_path, old, new, rule):
    copy = broken_copy(tmp_path, DOCKERFILE, old, new)
    result = subprocess.run([tool("hadolint"), "--no-color", copy], capture_output=True, text=True)
    assert result.returncode != 0 and f"{copy}:" in result.stdout and rule in result.stdout, result.stdout


@pytest.mark.parametrize(("old", "new", "rule"), [
    ("ARG PYTHON_IMAGE=python:3.11.17-slim-trixie", "ARG PYTHON_IMAGE=python:3.11-slim", "pinned-base"),
    ("ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER 10001:10001", "ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER churn",
     "non-root-user"),
    ("ENV CHURN_MODEL_DIR=/opt/churn/model\nUSER 10001:10001", "ENV CHURN_MODEL_DIR=/opt/churn/model",
     "non-root-user"),
    ("HEALTHCHECK --interval", "# HEALTHCHECK --interval", "healthcheck"),
    ("EXPOSE 8080", "", "expose"),
    ('CMD ["--host", "0.0.0.0", "--port", "8080"]', "CMD --host 0.0.0.0 --port 8080", "exec-form"),
    ("WORKDIR /var/lib/churn", "RUN apt-get update && apt-get install -y --no-install-recommends gcc\n"
     "WORKDIR /var/lib/churn", "no-build-tools"),
    # The registry builder on top of the bundle builder, where churn is already installed: its pip check
    # reports churn's training stack missing, and the registry target (the one production runs) cannot build.
    ("FROM locked AS builder-registry", "FROM builder AS builder-registry", "pip-check-order"),
    ('onnxruntime"\n', 'onnxruntime" \\\n    && pip --python /opt/venv/bin/python check\n', "pip-check-order"),
])
def test_dockerfile_rules_fail_on_a_broken_copy(tmp_path, old, new, rule):
    copy = broken_copy(tmp_path, DOCKERFILE, old, new)
    problems = dockerfile_problems(copy)
    assert any(line.startswith(f"{copy}:") and f": {rule}: " in line for line in problems), problems


@pytest.mark.parametrize(("old", "new", "rule"), [
    ("image: prom/prometheus:v3.15.0", "image: prom/prometheus:latest", "pinned-image"),
    ('      test: ["CMD", "mc", "ready", "local"]\n', "", "healthcheck"),
    ("      mlflow:\n        condition: service_healthy\n", "      mlflow: {}\n", "depends-on-condition"),
    ('- "127.0.0.1:8080:8080"', '- "8080:8080"', "loopback-ports"),
    ("GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD in .env (see .env.example)}",
     "GF_SECURITY_ADMIN_PASSWORD: hunter22", "no-literal-secrets"),
    ("      - prometheus-data:/prometheus", "      - metrics-data:/prometheus", "volume-declared"),
    ("CHURN_LOG_LEVEL: ${CHURN_LOG_LEVEL:-INFO}", "CHURN_LOG_LEVEL: ${CHURN_LOG_LEVEL_NEW:-INFO}",
     "env-example-covers"),
    ("name: churn\n", 'version: "3.9"\nname: churn\n', "no-version"),
])
def test_compose_rules_fail_on_a_broken_copy(tmp_path, old, new, rule):
    shutil.copytree(EXAMPLES / "deploy", tmp_path / "deploy")
    copy = broken_copy(tmp_path, COMPOSE, old, new)
    problems = compose_problems(copy, ENV_EXAMPLE)
    assert any(line.startswith(f"{copy}: ") and f": {rule}: " in line for line in problems), problems


def test_compose_config_fails_on_an_undeclared_volume(tmp_path):
    shutil.copytree(EXAMPLES / "deploy", tmp_path / "deploy")
    copy = broken_copy(tmp_path, COMPOSE, "      - prometheus-data:/prometheus", "      - metrics-data:/prometheus")
    result = subprocess.run([tool("docker-compose"), "--env-file", ENV_EXAMPLE, "-f", copy, "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "metrics-data" in result.stderr and "prometheus" in result.stderr


def test_compose_schema_fails_on_a_broken_copy_naming_file_and_field(tmp_path):
    copy = broken_copy(tmp_path, COMPOSE, '      test: ["CMD", "mc", "ready", "local"]', "      tset: 1")
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", copy],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert f"{copy}::$.services.minio.healthcheck" in result.stdout and "tset" in result.stdout


# ---- cross-checks with the code and between the files

def test_every_churn_variable_of_the_stack_and_image_is_a_service_setting():
    from churn.service.settings import ENVIRONMENT_VARIABLES

    api = compose_document()["services"]["api"]["environment"]
    image = {match for i in parse_dockerfile(DOCKERFILE.read_text()) if i.keyword == "ENV"
             for match in re.findall(r"\b(CHURN_\w+)=", i.arguments)}
    used = {name for name in api if name.startswith("CHURN_")} | image
    assert used and used <= set(ENVIRONMENT_VARIABLES.values()), used - set(ENVIRONMENT_VARIABLES.values())
    assert "CHURN_MODEL_DIR" in image and "CHURN_API_KEY" in api


def test_api_port_is_the_same_in_dockerfile_compose_and_both_healthchecks():
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    exposed = {i.arguments for i in instructions if i.keyword == "EXPOSE"}
    command = json.loads(next(i.arguments for i in instructions if i.keyword == "CMD"))
    image_health = next(i.arguments for i in instructions if i.keyword == "HEALTHCHECK")
    api = compose_document()["services"]["api"]
    container_ports = {str(port).rsplit(":", 1)[1] for port in api["ports"]}
    compose_health = " ".join(api["healthcheck"]["test"])
    port = command[command.index("--port") + 1]
    assert exposed == {port} and container_ports == {port}
    assert f"127.0.0.1:{port}/health" in image_health and f"127.0.0.1:{port}/health" in compose_health


def test_prometheus_scrapes_the_api_service_on_the_path_the_app_serves_metrics(tmp_path):
    from churn.service.app import create_app
    from churn.service.settings import ServiceSettings
    from fastapi.testclient import TestClient

    config = yaml.safe_load((EXAMPLES / "deploy" / "prometheus" / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "churn-api"]
    api = compose_document()["services"]["api"]
    port = str(api["ports"][0]).rsplit(":", 1)[1]
    assert job["static_configs"][0]["targets"] == [f"api:{port}"]
    settings = ServiceSettings(api_key="k", prediction_log=tmp_path / "log.jsonl")
    with TestClient(create_app(settings, predictor_loader=lambda: None)) as client:
        answer = client.get(job["metrics_path"], follow_redirects=False)
    assert answer.status_code == 200 and "churn_http_requests_total" in answer.text


def test_prometheus_scrapes_the_monitoring_exporter_where_compose_runs_it():
    """The exporter job's target is the exporter service on the port its command listens on; the rules are mounted."""
    config = yaml.safe_load((EXAMPLES / "deploy" / "prometheus" / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "churn-monitoring"]
    services = compose_document()["services"]
    exporter, prometheus = services["monitoring-exporter"], services["prometheus"]
    command = exporter["command"]
    assert exporter["entrypoint"] == ["python", "-m", "churn.monitoring.exporter"]
    assert job["static_configs"][0]["targets"] == [f"monitoring-exporter:{command[command.index('--port') + 1]}"]
    assert f"127.0.0.1:{command[command.index('--port') + 1]}/metrics" in " ".join(exporter["healthcheck"]["test"])
    mounted = {volume.split(":")[1] for volume in exporter["volumes"]}
    assert {str(Path(command[command.index(flag) + 1]).parent) for flag in ("--drift", "--performance")} <= mounted
    assert exporter["build"] == services["api"]["build"] and exporter["image"] == services["api"]["image"]
    assert {f"./deploy/prometheus/{name}:/etc/prometheus/{name}:ro" for name in ["prometheus.yml",
                                                                                 *config["rule_files"]]} \
        <= set(prometheus["volumes"])


def test_grafana_mounts_the_provisioned_datasource_and_dashboards():
    """What the panels query is checked in tests/examples/test_grafana_dashboard.py (uids, PromQL, metric names)."""
    (source,) = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())["datasources"]
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/churn.yaml").read_text())["providers"][0]
    grafana = compose_document()["services"]["grafana"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert source["url"] == "http://prometheus:9090" and list((GRAFANA / "dashboards").glob("*.json"))


def test_env_example_lists_every_variable_and_real_env_files_are_ignored():
    listed = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines()
              if "=" in line and not line.startswith("#")}
    code = "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in COMPOSE.read_text().splitlines())
    assert set(INTERPOLATION.findall(code)) <= listed
    secrets = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in ENV_EXAMPLE.read_text().splitlines()
               if re.match(r"\w*(PASSWORD|API_KEY)=", line)}
    assert secrets and all(value.startswith("change-me") for value in secrets.values()), "no real secret committed"
    if (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "examples/.env", "examples/model/model.onnx"],
                                 cwd=ROOT, capture_output=True, text=True).stdout.split()
        assert len(ignored) == 2, "examples/.env and the exported bundle must be ignored by git"


def test_build_context_sends_only_what_the_dockerfile_copies():
    allowed = {line[1:].rstrip("/") for line in (EXAMPLES / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert "*" in (EXAMPLES / ".dockerignore").read_text().splitlines(), "the .dockerignore is an allow-list"
    copied = {source for i in parse_dockerfile(DOCKERFILE.read_text()) if i.keyword == "COPY"
              and "--from=" not in i.arguments for source in i.arguments.split()[:-1]}
    assert copied and {source.rstrip("/") for source in copied} <= allowed, copied - allowed


# ---- the service's requirements: no training stack, no drift from the pyproject pins

def test_service_lock_pins_the_pyproject_versions_and_no_training_stack():
    lock, direct, project = pins(EXAMPLES / "requirements/service.txt"), \
        direct_pins(EXAMPLES / "requirements/service.txt"), pyproject_pins()
    assert direct and {name: project.get(name) for name in direct} == direct, "service.txt drifted from pyproject"
    assert not TRAINING_STACK & set(lock), TRAINING_STACK & set(lock)
    registry = direct_pins(EXAMPLES / "requirements/registry.txt")
    assert registry["mlflow-skinny"] == project["mlflow"] and registry["pyyaml"] == project["pyyaml"]
    assert not set(registry) & set(lock), "registry.txt only adds to service.txt"


def test_tracking_server_image_pins_the_server_extra_and_the_mlflow_version():
    """The stack's mlflow image and a student's ``pip install './examples[server]'`` run the same server."""
    dockerfile = (EXAMPLES / "deploy" / "mlflow" / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((EXAMPLES / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    server = pins_from_text("\n".join(project["optional-dependencies"]["server"]))
    installed = pins_from_text("\n".join(re.findall(r"^RUN pip install (.*)$", dockerfile, re.M)[0].split()))
    assert server and {name: installed.get(name) for name in server} == server, "the image's driver drifted"
    assert re.search(rf"^FROM ghcr.io/mlflow/mlflow:v{re.escape(pyproject_pins()['mlflow'])}$", dockerfile, re.M)


SERVICE_MODULES = ["churn/service", "churn/predict.py", "churn/features.py", "churn/contract.py",
                   "churn/model_bundle.py", "churn/__init__.py",
                   # compose.yaml runs the monitoring exporter in the service image (python -m, no churn CLI)
                   "churn/monitoring/__init__.py", "churn/monitoring/exporter.py", "churn/cli.py"]


def test_every_module_the_service_imports_at_load_time_is_in_the_lock():
    distributions = packages_distributions()
    lock = pins(EXAMPLES / "requirements/service.txt")
    needed: set[str] = {"onnxruntime", "uvicorn"}  # imported inside OnnxPredictor and by the image's command
    files = [path for entry in SERVICE_MODULES for path in sorted((EXAMPLES / entry).glob("*.py"))
             or [EXAMPLES / entry]]
    for path in files:
        for node in ast.parse(path.read_text()).body:  # module level: what importing the module needs
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in {"churn", "__future__"}:
                    needed |= {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(top, [top])}
    assert needed <= set(lock), f"imported by the service but not in service.txt: {sorted(needed - set(lock))}"
