"""The course project's CI/CD workflows (.github/workflows/project-*.yml), validated offline.

The rules live in ``tests/workflow_rules.py``: the github-workflows schema, ``zizmor --offline`` with no
finding of medium or higher, current action majors, least-privilege permissions. Broken copies show
that each rule fails naming the file and the rule. The job graph, the gate script (with the real
``churn`` exit codes) and the deploy script (with kubectl's kustomize) are tested here too.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests import workflow_rules

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / ".github" / "scripts"
PROJECT_WORKFLOWS = sorted(WORKFLOWS.glob("project-*.yml"))
needs_check_jsonschema = pytest.mark.skipif(workflow_rules.tool("check-jsonschema") is None,
                                            reason="check-jsonschema is not installed (pip install -e '.[test]')")
needs_zizmor = pytest.mark.skipif(workflow_rules.tool("zizmor") is None,
                                  reason="zizmor is not installed (pip install -e '.[test]')")
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def test_the_four_project_workflows_exist():
    assert [path.name for path in PROJECT_WORKFLOWS] == ["project-ci.yml", "project-delivery.yml",
                                                         "project-promote-canary.yml", "project-rollback.yml"]


# --- the validators on the real files -------------------------------------------------------------------------

@needs_check_jsonschema
@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_every_workflow_matches_the_github_workflows_schema(path):
    assert workflow_rules.schema_problems(path) == []


@needs_zizmor
@pytest.mark.parametrize("path", PROJECT_WORKFLOWS, ids=lambda path: path.name)
def test_zizmor_finds_nothing_of_medium_or_high_severity(path):
    findings = workflow_rules.zizmor_findings(path)
    blocking = [finding["ident"] for finding in findings if finding["determinations"]["severity"] in
                workflow_rules.BLOCKING_SEVERITIES]
    assert blocking == []
    # The one lower finding is justified in a comment next to it (project-delivery.yml's reusable call).
    assert {finding["ident"] for finding in findings} <= {"self-repository"}


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_current_major(path):
    assert workflow_rules.action_problems(path) == []


@pytest.mark.parametrize("path", PROJECT_WORKFLOWS, ids=lambda path: path.name)
def test_project_workflows_pass_every_rule(path):
    assert workflow_rules.problems(path) == []


def test_the_command_line_exits_1_naming_the_file_and_rule(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "project-ci.yml").read_text().replace("contents: read", "contents: write"))
    result = subprocess.run([sys.executable, "-m", "tests.workflow_rules", str(broken)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "broken.yml: [permissions] job lint-and-test has 'contents: write'" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "tests.workflow_rules", str(tmp_path / "nope.yml")], cwd=ROOT,
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "nope.yml" in missing.stderr


# --- broken copies: each rule fails naming the file and the rule ----------------------------------------------

def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert old in text, f"the broken copy needs {old!r} in {name}"
    path = tmp_path / f"broken-{name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_write_all_on_a_job_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "    permissions:\n      contents: read\n",
                       "    permissions: write-all\n")
    assert any(message.startswith("broken-project-ci.yml: [permissions] job lint-and-test needs an explicit")
               for message in workflow_rules.problems(path))


def test_a_write_scope_no_step_needs_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-delivery.yml", "  train-evaluate-gate:\n    name: Train, evaluate, gate\n",
                       "  train-evaluate-gate:\n    name: Train, evaluate, gate\n    permissions:\n"
                       "      contents: read\n      packages: write\n")
    text = path.read_text().replace("    permissions:\n      contents: read\n    outputs:\n      verdict",
                                    "    outputs:\n      verdict", 1)
    path.write_text(text)
    assert ("broken-project-delivery.yml: [permissions] job train-evaluate-gate has 'packages: write' but no step "
            "that needs it") in "\n".join(workflow_rules.problems(path))


def test_a_missing_top_level_permissions_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-rollback.yml", "permissions: {}\n", "")
    assert any("broken-project-rollback.yml: [permissions] the workflow must set 'permissions: {}'" in message
               for message in workflow_rules.problems(path))


def test_an_old_checkout_major_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2",
                       "actions/checkout@v3")
    messages = workflow_rules.action_problems(path)
    assert len(messages) == 1 and messages[0].startswith("broken-project-ci.yml:")
    assert "[current-major] actions/checkout v3 is older than v6" in messages[0]


def test_a_sha_pin_with_an_old_version_comment_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-delivery.yml", "# v7.2.0", "# v6.18.0")
    assert any("[current-major] docker/build-push-action v6 is older than v7" in message
               for message in workflow_rules.action_problems(path))


def test_an_unpinned_or_unknown_action_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405 "
                       "# v6.2.0", "actions/setup-python@main")
    assert any("[pinned] actions/setup-python@main" in message for message in workflow_rules.action_problems(path))
    path = broken_copy(tmp_path, "project-ci.yml", "actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405",
                       "someone/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405")
    assert any("[current-major] someone/setup-python is not in MINIMUM_MAJOR" in message
               for message in workflow_rules.action_problems(path))


@needs_zizmor
def test_a_template_injection_is_refused_by_zizmor_and_by_the_run_rule(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "      - name: Lint (ruff)\n",
                       "      - name: Greet\n        run: echo ${{ github.event.pull_request.title }}\n"
                       "      - name: Lint (ruff)\n")
    messages = workflow_rules.problems(path)
    assert any(message.startswith("broken-project-ci.yml:") and "[zizmor:template-injection] high" in message
               for message in messages), messages
    assert any("[expression-in-run] job lint-and-test step Greet" in message for message in messages)


@needs_zizmor
def test_an_unpinned_third_party_action_is_refused_by_zizmor(tmp_path):
    path = broken_copy(tmp_path, "project-delivery.yml", "docker/login-action@650006c6eb7dba73a995cc03b0b2d7f5ca915bee",
                       "docker/login-action@v4")
    assert any("[zizmor:unpinned-uses] high" in message for message in workflow_rules.zizmor_problems(path))


def test_checkout_that_keeps_credentials_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "          persist-credentials: false\n",
                       "          fetch-depth: 1\n")
    assert any("broken-project-ci.yml: [persist-credentials] job lint-and-test step 1" in message
               for message in workflow_rules.problems(path))


@needs_check_jsonschema
def test_a_schema_error_is_refused_naming_the_file(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n"
                       "    timeout-minute: 30\n")
    messages = workflow_rules.schema_problems(path)
    assert len(messages) == 1 and messages[0].startswith("broken-project-ci.yml: [schema]")


def test_a_trigger_without_the_examples_path_filter_is_refused(tmp_path):
    path = broken_copy(tmp_path, "project-ci.yml", "      - examples/**\n", "")
    assert ("broken-project-ci.yml: [path-filter] the pull_request trigger must list 'examples/**' in paths"
            in workflow_rules.problems(path))


# --- the job graph --------------------------------------------------------------------------------------------

def test_ci_lints_and_tests_pull_requests_and_is_reusable():
    ci = load("project-ci.yml")
    on = workflow_rules.triggers(ci)
    assert set(on) == {"pull_request", "workflow_call"}
    assert {"examples/**", ".github/workflows/project-*.yml"} <= set(on["pull_request"]["paths"])
    runs = " ".join(step.get("run", "") for step in ci["jobs"]["lint-and-test"]["steps"])
    assert "ruff check examples" in runs and "pytest tests/examples" in runs


def test_delivery_runs_on_main_and_release_tags_after_ci():
    delivery = load("project-delivery.yml")
    push = workflow_rules.triggers(delivery)["push"]
    assert push["branches"] == ["main"] and push["tags"] == ["v*.*.*"] and "examples/**" in push["paths"]
    jobs = delivery["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/project-ci.yml"
    assert jobs["build-image"]["needs"] == "ci" and jobs["train-evaluate-gate"]["needs"] == "ci"


def test_the_image_is_built_from_examples_with_sha_and_semver_tags_cache_and_provenance():
    steps = {step["uses"].split("@")[0]: step for step in load("project-delivery.yml")["jobs"]["build-image"]["steps"]
             if "uses" in step}
    build = steps["docker/build-push-action"]["with"]
    assert build["context"] == "examples" and build["file"] == "examples/Dockerfile" and build["push"] is True
    assert build["cache-from"] == "type=gha" and build["cache-to"] == "type=gha,mode=max"
    assert build["provenance"] == "mode=max"
    assert build["target"] == "registry"
    dockerfile = ROOT / "examples" / "Dockerfile"
    if dockerfile.exists():  # the image's files are added separately
        assert re.search(r"^FROM \S+ AS registry$", dockerfile.read_text(), re.MULTILINE), "no 'registry' stage"
    tags = steps["docker/metadata-action"]["with"]["tags"]
    assert "type=sha" in tags and "type=semver,pattern={{version}}" in tags
    assert steps["docker/login-action"]["with"]["registry"] == "ghcr.io"
    assert steps["actions/attest-build-provenance"]["with"]["push-to-registry"] is True


def test_deploys_need_the_image_and_the_gate_and_production_needs_staging():
    jobs = load("project-delivery.yml")["jobs"]
    staging, production = jobs["deploy-staging"], jobs["deploy-production"]
    assert set(staging["needs"]) == {"build-image", "train-evaluate-gate"}
    assert staging["environment"]["name"] == "staging"
    assert "deploy-staging" in production["needs"] and production["environment"]["name"] == "production"
    assert production["if"] == "startsWith(github.ref, 'refs/tags/v')"
    # Staging's one Deployment gets the new digest; in production only the canary (10% of the requests) does.
    for job, overlay, deployment in ((staging, "overlays/staging", "churn-api"),
                                     (production, "overlays/production", "churn-api-canary")):
        assert job["concurrency"]["cancel-in-progress"] is False
        assert (f'.github/scripts/deploy.sh apply examples/deploy/k8s/{overlay} {deployment} "$IMAGE@$DIGEST"'
                in job["steps"][-1]["run"])
    assert "CHURN_MANIFEST_IMAGE" not in (WORKFLOWS / "project-delivery.yml").read_text()


def test_only_the_approved_production_job_promotes_with_the_actor_passed_through_env():
    jobs = load("project-delivery.yml")["jobs"]
    promoting = [name for name, job in jobs.items() for step in job.get("steps", []) if "churn promote" in
                 step.get("run", "")]
    assert promoting == ["deploy-production"], "only the job behind the environment's reviewers promotes"
    production = jobs["deploy-production"]
    assert "train-evaluate-gate" in production["needs"]
    step = next(step for step in production["steps"] if "churn promote" in step.get("run", ""))
    assert step["if"] == "needs.train-evaluate-gate.outputs.verdict == 'passed'"
    assert step["env"]["APPROVED_BY"] == "${{ github.actor }}"
    assert '--approved-by "$APPROVED_BY"' in step["run"] and "${{" not in step["run"], "no expression inline"
    assert "churn audit verify" in step["run"]


def test_promoting_the_canary_is_manual_and_pins_the_stable_track_to_the_canary_image():
    promote = load("project-promote-canary.yml")
    assert list(workflow_rules.triggers(promote)) == ["workflow_dispatch"]
    job = promote["jobs"]["promote"]
    assert job["environment"]["name"] == "production"
    assert job["concurrency"] == {"group": "churn-deploy-production", "cancel-in-progress": False}
    run = job["steps"][-1]["run"]
    assert "kubectl get deployment churn-api-canary --namespace churn-production" in run
    assert '.github/scripts/deploy.sh apply examples/deploy/k8s/overlays/production churn-api "$image"' in run


def test_only_the_image_job_may_write_and_every_job_states_its_permissions():
    for path in PROJECT_WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {}
        for name, job in workflow["jobs"].items():
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            expected = {"packages", "id-token", "attestations"} if name == "build-image" else set()
            assert writes == expected, f"{path.name} job {name}"
            assert job["permissions"].get("contents") == "read", f"{path.name} job {name}"


def test_the_gate_job_runs_the_gate_script_with_the_tracking_secret_in_an_environment():
    job = load("project-delivery.yml")["jobs"]["train-evaluate-gate"]
    gate = next(step for step in job["steps"] if step.get("id") == "gate")
    assert gate["run"] == "python .github/scripts/train_gate.py"
    assert gate["env"] == {"CHURN_TRACKING_URI": "${{ secrets.CHURN_TRACKING_URI }}"}
    assert job["environment"]["name"] == "training"
    assert set(job["outputs"]) == {"verdict", "model_version"}


def test_rollback_is_manual_only_and_redeploys_the_chosen_environment():
    rollback = load("project-rollback.yml")
    on = workflow_rules.triggers(rollback)
    assert list(on) == ["workflow_dispatch"]
    assert on["workflow_dispatch"]["inputs"]["environment"]["options"] == ["staging", "production"]
    job = rollback["jobs"]["rollback"]
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert job["concurrency"]["group"] == "churn-deploy-${{ inputs.environment }}"
    runs = [step.get("run", "") for step in job["steps"]]
    assert on["workflow_dispatch"]["inputs"]["reason"]["required"] is True
    step = next(step for step in job["steps"] if "churn rollback" in step.get("run", ""))
    assert 'churn rollback --tracking-uri "$CHURN_TRACKING_URI" --approved-by "$APPROVED_BY" --reason "$REASON"' \
        in step["run"]
    assert step["env"]["APPROVED_BY"] == "${{ github.actor }}" and step["env"]["REASON"] == "${{ inputs.reason }}"
    assert runs[-1] == '.github/scripts/deploy.sh restart "examples/deploy/k8s/overlays/$TARGET"'
    delivery_groups = {job["concurrency"]["group"] for name, job in load("project-delivery.yml")["jobs"].items()
                       if name.startswith("deploy-")}
    assert delivery_groups == {"churn-deploy-staging", "churn-deploy-production"}


@pytest.mark.parametrize("path", PROJECT_WORKFLOWS, ids=lambda path: path.name)
def test_run_steps_use_an_explicit_bash_so_pipes_fail(path):
    # Without shell: GitHub runs 'bash -e {0}': 'churn rollback | tee' would pass when churn exits 3.
    workflow = yaml.safe_load(path.read_text())
    assert workflow.get("defaults", {}).get("run", {}).get("shell") == "bash"
    assert all("shell" not in step for job in workflow["jobs"].values() for step in job.get("steps", []))


def test_the_commands_the_workflows_run_exist():
    from churn.cli import build_parser

    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    text = "\n".join(path.read_text() for path in PROJECT_WORKFLOWS)
    assert {"rollback", "promote", "gate", "audit"} <= subcommands and "churn rollback" in text
    assert "churn promote" in text and "churn audit verify" in text
    for script in ("deploy.sh", "train_gate.py"):
        assert f".github/scripts/{script}" in text and (SCRIPTS / script).is_file()
    assert os.access(SCRIPTS / "deploy.sh", os.X_OK)


def test_the_readme_documents_the_workflows_environments_and_secrets():
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## CI/CD", 1)[1]
    for name in ("project-ci.yml", "project-delivery.yml", "project-promote-canary.yml", "project-rollback.yml",
                 "churn-api-canary", "staging", "production",
                 "required reviewers", "CHURN_TRACKING_URI", "KUBECONFIG"):
        assert name in section, name


# --- the gate script ------------------------------------------------------------------------------------------

def gate_module():
    spec = importlib.util.spec_from_file_location("train_gate", SCRIPTS / "train_gate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAKE_CHURN = '''
import json, os, sys
command = sys.argv[1]
open(os.environ["FAKE_LOG"], "a").write(" ".join(sys.argv[1:]) + "\\n")
code = int(os.environ.get(f"FAKE_{command.upper()}_CODE", "0"))
if command == "train" and code == 0:
    # What MLflow writes to stdout when the run ends on a tracking server (a RestStore), before churn's JSON.
    print("\U0001F3C3 View run bold-fox-1 at: https://mlflow.example/#/experiments/1/runs/abc")
    print("\U0001F9EA View experiment at: https://mlflow.example/#/experiments/1")
    print(json.dumps({"run_id": "abc", "version": "7", "metrics": {"roc_auc": 0.86123, "pr_auc": 0.67}}))
if command == "gate":
    print({0: "PASSED THE GATE, NOT PROMOTED YET: challenger v7", 1: "NOT PROMOTED: challenger v7"}.get(code, ""))
sys.exit(code)
'''


@pytest.fixture
def run_gate(tmp_path, monkeypatch):
    fake = tmp_path / "fake_churn.py"
    fake.write_text(textwrap.dedent(FAKE_CHURN))
    summary, outputs, log = tmp_path / "summary.md", tmp_path / "outputs", tmp_path / "calls"
    monkeypatch.setenv("CHURN_COMMAND", f"{sys.executable} {fake}")
    monkeypatch.setenv("CHURN_TRACKING_URI", "https://user:secret@mlflow.example")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("FAKE_LOG", str(log))

    def run(train: int = 0, gate: int = 0) -> tuple[int, str, str, list[str]]:
        monkeypatch.setenv("FAKE_TRAIN_CODE", str(train))
        monkeypatch.setenv("FAKE_GATE_CODE", str(gate))
        code = gate_module().main([])
        read = lambda path: path.read_text() if path.exists() else ""  # noqa: E731
        return code, read(summary), read(outputs), read(log).splitlines()

    return run


def test_the_gate_script_uses_the_cli_exit_codes():
    from churn import cli

    gate = gate_module()
    assert (gate.EXIT_OK, gate.EXIT_REFUSED, gate.EXIT_BAD_INPUT, gate.EXIT_REGISTRY) == (
        cli.EXIT_OK, cli.EXIT_REFUSED, cli.EXIT_BAD_INPUT, cli.EXIT_REGISTRY)


def test_a_passed_gate_promotes_nothing_and_reports_metrics_and_verdict(run_gate):
    code, summary, outputs, calls = run_gate(gate=0)
    assert code == 0 and outputs == "verdict=passed\nmodel_version=7\n"
    assert "challenger v7 passed the gate: promoted only with an approval" in summary
    assert "| roc_auc | 0.8612 |" in summary and "PASSED THE GATE, NOT PROMOTED YET: challenger v7" in summary
    assert [call.split()[0] for call in calls] == ["train", "gate"], "CI never runs churn promote without approval"
    assert "secret" not in summary  # the tracking URI is never echoed


def test_a_refusal_is_a_verdict_not_an_error(run_gate, capsys):
    code, summary, outputs, _ = run_gate(gate=1)
    assert code == 0 and "verdict=refused" in outputs
    assert "refused: the champion stays" in summary and "NOT PROMOTED" in summary
    assert "::warning title=Promotion gate::" in capsys.readouterr().out


@pytest.mark.parametrize(("gate", "meaning"), [(2, "bad input"), (3, "registry state"), (9, "unexpected error")])
def test_other_gate_failures_fail_the_job_with_their_code(run_gate, gate, meaning):
    code, summary, outputs, _ = run_gate(gate=gate)
    assert code == gate and outputs == ""
    assert f"`churn gate` exited {gate} ({meaning}); nothing is deployed" in summary


def test_a_failed_training_stops_before_the_gate(run_gate):
    code, summary, outputs, calls = run_gate(train=1)
    assert code == 1 and outputs == "" and [call.split()[0] for call in calls] == ["train"]
    assert "`churn train` exited 1 (refused)" in summary


def test_the_gate_script_asks_for_the_tracking_uri(monkeypatch, capsys):
    monkeypatch.delenv("CHURN_TRACKING_URI", raising=False)
    assert gate_module().main([]) == 2
    assert "CHURN_TRACKING_URI is not set" in capsys.readouterr().err


def test_the_real_cli_reports_bad_input_through_the_gate_script(tmp_path):
    env = {**os.environ, "CHURN_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "examples")])}
    env.pop("CHURN_COMMAND", None)
    result = subprocess.run([sys.executable, str(SCRIPTS / "train_gate.py"), "--data", str(tmp_path / "none.csv")],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert "none.csv" in result.stderr
    assert "`churn train` exited 2 (bad input)" in (tmp_path / "summary.md").read_text()


# --- the deploy script ----------------------------------------------------------------------------------------

DIGEST = "sha256:" + "0123456789abcdef" * 4
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: churn-api, image: "registry.example/placeholder:latest"}}]
"""


@pytest.fixture
def overlay(tmp_path) -> Path:
    """A base with a stable and a canary Deployment (container churn-api) and a staging overlay on it."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [stable.yaml, canary.yaml]\n")
    (tmp_path / "base" / "stable.yaml").write_text(DEPLOYMENT.format(name="churn-api"))
    (tmp_path / "base" / "canary.yaml").write_text(DEPLOYMENT.format(name="churn-api-canary"))
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "kustomization.yaml").write_text("namespace: churn-staging\nresources: [../base]\n")
    return tmp_path / "staging"


def deploy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPTS / "deploy.sh"), *map(str, args)], capture_output=True, text=True,
                          check=False, env=env)


def images(manifests: str) -> dict[str, str]:
    """Deployment name -> the image of its container churn-api, from rendered manifests."""
    found = {}
    for document in yaml.safe_load_all(manifests):
        if document and document["kind"] == "Deployment":
            containers = document["spec"]["template"]["spec"]["containers"]
            found[document["metadata"]["name"]] = next(c["image"] for c in containers if c["name"] == "churn-api")
    return found


@needs_kubectl
def test_deploy_pins_only_the_named_deployment_by_digest_or_tag(overlay):
    by_digest = deploy("render", overlay, "churn-api-canary", f"ghcr.io/acme/churn-api@{DIGEST}")
    assert by_digest.returncode == 0, by_digest.stderr
    assert images(by_digest.stdout) == {"churn-api": "registry.example/placeholder:latest",
                                        "churn-api-canary": f"ghcr.io/acme/churn-api@{DIGEST}"}
    assert "namespace: churn-staging" in by_digest.stdout
    by_tag = deploy("render", overlay, "churn-api", "ghcr.io/acme/churn-api:sha-0123abc")
    assert images(by_tag.stdout)["churn-api"] == "ghcr.io/acme/churn-api:sha-0123abc"


@needs_kubectl
def test_deploy_refuses_bad_arguments_with_a_message(overlay, tmp_path):
    no_overlay = deploy("apply", tmp_path / "nowhere", "churn-api", f"ghcr.io/acme/churn-api@{DIGEST}")
    assert no_overlay.returncode == 2 and "nowhere has no kustomization.yaml" in no_overlay.stderr
    no_pin = deploy("render", overlay, "churn-api", "ghcr.io/acme/churn-api")
    assert no_pin.returncode == 2 and "neither @sha256:digest nor :tag" in no_pin.stderr
    assert deploy("promote", overlay).returncode == 2
    assert deploy("render", overlay, f"ghcr.io/acme/churn-api@{DIGEST}").returncode == 2  # the old 3-argument form


@needs_kubectl
def test_deploy_refuses_a_deployment_the_overlay_does_not_have(overlay):
    # Nothing would be pinned: the old image would be applied and reported as the new one.
    result = deploy("render", overlay, "churn-api-green", f"ghcr.io/acme/churn-api@{DIGEST}")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"error: overlay {overlay} has no Deployment 'churn-api-green'; pass one of: "
                                     "churn-api churn-api-canary")


FAKE_KUBECTL = """\
#!/usr/bin/env bash
# kubectl for the tests: local commands go to the real one; the cluster is a live image and a log.
set -euo pipefail
echo "$*" >> "$FAKE_LOG"
case "$1" in
  kustomize|set) exec "$REAL_KUBECTL" "$@" ;;
  get) printf '%s' "${FAKE_LIVE_IMAGE:-}" ;;
  apply) cp "$3" "$FAKE_APPLIED" ;;
esac
"""


@pytest.fixture
def fake_cluster(tmp_path):
    """Run deploy.sh against a fake cluster; returns run(live_image, *args) -> (result, applied images, calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    applied, log = tmp_path / "applied.yaml", tmp_path / "calls"

    def run(live_image: str, *args: str):
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "REAL_KUBECTL": shutil.which("kubectl"), "FAKE_LIVE_IMAGE": live_image,
               "FAKE_APPLIED": str(applied), "FAKE_LOG": str(log)}
        applied.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
        result = deploy(*args, env=env)
        return result, images(applied.read_text()) if applied.exists() else {}, log.read_text().splitlines()

    return run


@needs_kubectl
def test_apply_leaves_the_other_deployments_on_the_image_the_cluster_runs(overlay, fake_cluster):
    result, applied, calls = fake_cluster("ghcr.io/acme/churn-api:1.0.0", "apply", overlay, "churn-api-canary",
                                          f"ghcr.io/acme/churn-api@{DIGEST}")
    assert result.returncode == 0, result.stderr
    assert applied == {"churn-api": "ghcr.io/acme/churn-api:1.0.0",
                       "churn-api-canary": f"ghcr.io/acme/churn-api@{DIGEST}"}
    assert any(call.startswith("get deployment churn-api --namespace churn-staging") for call in calls)
    assert [call.split()[2] for call in calls if call.startswith("rollout status")] == [
        "deployment/churn-api", "deployment/churn-api-canary"]


@needs_kubectl
def test_apply_starts_a_deployment_the_cluster_does_not_have_on_the_new_image(overlay, fake_cluster):
    result, applied, _ = fake_cluster("", "apply", overlay, "churn-api-canary", f"ghcr.io/acme/churn-api@{DIGEST}")
    assert result.returncode == 0, result.stderr
    assert set(applied.values()) == {f"ghcr.io/acme/churn-api@{DIGEST}"}


@needs_kubectl
@pytest.mark.parametrize(("environment", "deployment", "untouched"), [("staging", "churn-api", {}),
                         ("production", "churn-api-canary", {"churn-api": "ghcr.io/OWNER/churn-api:1.0.0"})])
def test_deploy_renders_the_project_overlays(environment, deployment, untouched):
    overlay = ROOT / "examples" / "deploy" / "k8s" / "overlays" / environment
    # What the delivery workflow passes: the lower-cased owner, whatever name the manifests use.
    result = deploy("render", overlay, deployment, f"ghcr.io/some-owner/churn-api@{DIGEST}")
    assert result.returncode == 0, result.stderr
    assert images(result.stdout) == {deployment: f"ghcr.io/some-owner/churn-api@{DIGEST}", **untouched}


def test_the_training_job_runs_churn_from_the_checkout_so_runs_record_the_commit():
    """A non-editable install puts churn in site-packages, outside any Git checkout: its runs would carry no commit."""
    steps = load("project-delivery.yml")["jobs"]["train-evaluate-gate"]["steps"]
    installs = [step["run"] for step in steps if "pip install" in step.get("run", "")]
    assert installs == ["python -m pip install -e ./examples"]
