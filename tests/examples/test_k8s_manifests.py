"""The Kubernetes manifests (examples/deploy/k8s), checked offline by examples/deploy/check_manifests.py.

Each overlay is rendered once per module with ``kubectl kustomize``; the broken-copy tests copy the
tree to a temporary directory, break one rule in one file, and expect the message to name that file
and that rule. Skipped, with the reason, where kubectl is missing.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from churn.service.settings import ENVIRONMENT_VARIABLES, ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "examples" / "deploy"
K8S = DEPLOY / "k8s"
README = ROOT / "examples" / "README.md"


def load_module(name: str):
    """A module of examples/deploy, imported from its file (examples/deploy is not a package)."""
    spec = importlib.util.spec_from_file_location(name, DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


checks = load_module("check_manifests")
fetcher = load_module("fetch_gateway_crd")
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None,
                                   reason="kubectl (with its built-in kustomize) is not installed")


@pytest.fixture(scope="module")
def rendered():
    """Every overlay, rendered once: {overlay name: Rendered}."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    return {overlay.name: checks.render(overlay) for overlay in checks.overlays()}


@pytest.fixture(scope="module")
def problems(rendered):
    """Every overlay's problems, checked once: {overlay name: [message]}."""
    return {name: [str(problem) for problem in checks.check_rendered(overlay)] for name, overlay in rendered.items()}


def objects_of(rendered_overlay, kind: str) -> dict[str, dict]:
    """The rendered objects of one kind, by name."""
    return {obj["metadata"]["name"]: obj for obj in rendered_overlay.objects if obj["kind"] == kind}


def route_weights(rendered_overlay) -> dict[str, int]:
    """{backend Service: weight} of the overlay's HTTPRoute (one rule)."""
    (route,) = objects_of(rendered_overlay, "HTTPRoute").values()
    (rule,) = route["spec"]["rules"]
    return {backend["name"]: backend["weight"] for backend in rule["backendRefs"]}


# --- the contract with the service -----------------------------------------------------------


def test_probe_paths_and_port_come_from_the_service_code():
    contract = checks.service_contract()
    assert (contract["liveness"], contract["readiness"], contract["port"]) == ("/health", "/ready", 8080)
    assert contract["settings"] == set(ENVIRONMENT_VARIABLES.values())


def test_the_three_overlays_exist():
    assert [overlay.name for overlay in checks.overlays()] == ["bluegreen", "production", "staging"]


# --- every overlay as committed --------------------------------------------------------------


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_overlay_passes_every_check(problems, overlay):
    assert problems[overlay] == []


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_every_core_kind_is_rendered_and_validated(rendered, problems, overlay):
    kinds = {obj["kind"] for obj in rendered[overlay].objects}
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
                     "ConfigMap", "ServiceAccount", "HTTPRoute"}
    assert not [message for message in problems[overlay] if "schema" in message]


def test_schema_validation_covers_current_kubernetes_versions():
    assert checks.KUBERNETES_VERSIONS == ("1.35.0", "1.37.0")
    deployment = yaml.safe_load((K8S / "base" / "deployment.yaml").read_text(encoding="utf-8"))
    deployment["spec"]["replica"] = 2
    messages = [str(problem) for problem in checks.check_kubernetes_schema(deployment, "deployment.yaml")]
    assert [message.split(": ")[2] for message in messages] == ["Kubernetes 1.35 schema", "Kubernetes 1.37 schema"]
    assert all("'replica' was unexpected" in message for message in messages), messages


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_httproute_is_valid_against_the_gateway_api_schema(rendered, overlay):
    (route,) = objects_of(rendered[overlay], "HTTPRoute").values()
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert checks.check_gateway_schema(route, "rendered") == []


def test_httproute_schema_is_strict_and_rejects_a_misspelt_field():
    route = yaml.safe_load((K8S / "overlays" / "production" / "httproute.yaml").read_text(encoding="utf-8"))
    route["spec"]["rules"][0]["backendRefs"][0]["weigth"] = 90
    messages = [str(problem) for problem in checks.check_gateway_schema(route, "httproute.yaml")]
    assert any("spec.rules.0.backendRefs.0" in message and "weigth" in message for message in messages), messages


def test_httproute_schema_accepts_common_features_and_refuses_ingress_habits():
    route = yaml.safe_load((K8S / "overlays" / "production" / "httproute.yaml").read_text(encoding="utf-8"))
    rule = route["spec"]["rules"][0]
    rule["timeouts"] = {"request": "10s", "backendRequest": "5s"}
    rule["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-Track",
                                                                                             "value": "ab"}]}}]
    rule["matches"][0]["headers"] = [{"name": "X-Canary", "value": "always"}]
    assert checks.check_gateway_schema(route, "route") == []
    rule["matches"][0]["path"]["type"] = "Prefix"  # Ingress's pathType, not the Gateway API's
    messages = [str(problem) for problem in checks.check_gateway_schema(route, "route")]
    assert messages == ["route: HTTPRoute/churn-api: Gateway API HTTPRoute schema: spec.rules.0.matches.0.path.type: "
                        "'Prefix' is not one of ['Exact', 'PathPrefix', 'RegularExpression']"]


def test_httproute_schema_rejects_a_weight_out_of_bounds():
    route = yaml.safe_load((K8S / "overlays" / "production" / "httproute.yaml").read_text(encoding="utf-8"))
    route["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1_000_001
    messages = [str(problem) for problem in checks.check_gateway_schema(route, "route")]
    assert messages == ["route: HTTPRoute/churn-api: Gateway API HTTPRoute schema: spec.rules.0.backendRefs.0.weight: "
                        "1000001 is greater than the maximum of 1000000"]
    route["spec"]["rules"][0]["backendRefs"][0]["weight"] = -1
    assert [str(problem) for problem in checks.check_gateway_schema(route, "route")] == [
        "route: HTTPRoute/churn-api: Gateway API HTTPRoute schema: spec.rules.0.backendRefs.0.weight: "
        "-1 is less than the minimum of 0"]


def test_course_schema_says_what_it_is_and_cites_the_api_reference():
    folder = K8S / "schemas" / "gateway-api"
    header = (folder / "httproute-v1.yaml").read_text(encoding="utf-8").split("$schema:")[0]
    assert "course's own" in header and "NOT the published CRD" in header
    assert "https://gateway-api.sigs.k8s.io/reference/spec/" in header and "CEL" in header
    notice = (folder / "README.md").read_text(encoding="utf-8")
    assert "Source:" in notice and "https://gateway-api.sigs.k8s.io/reference/spec/" in notice
    assert not (folder / "LICENSE").exists()  # the course's own work: the repository's licence covers it


def test_published_crd_schema_is_preferred_when_downloaded(tmp_path):
    folder = tmp_path / "schemas" / "gateway-api"
    folder.mkdir(parents=True)
    assert checks.httproute_schema_file(tmp_path)[1].startswith("the course's HTTPRoute subset schema")
    published = {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"rules": {"type": "array", "maxItems": 1}}}}}
    (folder / "httproute-v1.published.json").write_text(json.dumps(published), encoding="utf-8")
    path, label = checks.httproute_schema_file(tmp_path)
    assert path.name == "httproute-v1.published.json" and label.startswith("the published Gateway API CRD schema")
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"rules": [{}, {}]}}
    assert [str(problem) for problem in checks.check_gateway_schema(route, "route", tmp_path)] == [
        "route: HTTPRoute/r: Gateway API HTTPRoute schema: spec.rules: [{}, {}] is too long"]


def test_published_crd_schema_file_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"examples/deploy/k8s/{checks.PUBLISHED_HTTPROUTE_SCHEMA.as_posix()}" in ignored
    assert fetcher.PUBLISHED_SCHEMA == K8S / checks.PUBLISHED_HTTPROUTE_SCHEMA


def test_fetcher_extracts_the_httproute_v1_schema_from_an_install_file():
    install = yaml.safe_dump_all([
        {"kind": "CustomResourceDefinition", "metadata": {"name": "gateways.gateway.networking.k8s.io"}},
        {"kind": "CustomResourceDefinition",
         "metadata": {"name": "httproutes.gateway.networking.k8s.io",
                      "annotations": {"gateway.networking.k8s.io/bundle-version": "v1.3.0"}},
         "spec": {"versions": [{"name": "v1beta1", "schema": {"openAPIV3Schema": {"type": "string"}}},
                               {"name": "v1", "schema": {"openAPIV3Schema": {"type": "object"}}}]}}])
    schema = fetcher.httproute_schema(install, "install.yaml")
    assert schema["type"] == "object" and "bundle-version v1.3.0" in schema["$comment"]
    with pytest.raises(fetcher.FetchError, match=r"install\.yaml has no CustomResourceDefinition "
                                                 r"httproutes\.gateway\.networking\.k8s\.io"):
        fetcher.httproute_schema("kind: Namespace\n", "install.yaml")


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_configmap_holds_real_settings_and_no_key(rendered, overlay):
    for configmap in objects_of(rendered[overlay], "ConfigMap").values():
        data = configmap["data"]
        assert set(data) <= set(ENVIRONMENT_VARIABLES.values()) - {"CHURN_API_KEY", "CHURN_PREDICTOR"}
        settings = ServiceSettings.from_env({**data, "CHURN_API_KEY": "x"})
        assert settings.prediction_log.is_absolute()


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_api_key_comes_from_the_documented_secret(rendered, overlay):
    assert objects_of(rendered[overlay], "Secret") == {}
    for deployment in objects_of(rendered[overlay], "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (key,) = [variable for variable in container["env"] if variable["name"] == "CHURN_API_KEY"]
        reference = key["valueFrom"]["secretKeyRef"]
        assert (reference["name"], reference["key"]) == ("churn-api-key", "CHURN_API_KEY")
    readme = " ".join(README.read_text(encoding="utf-8").replace("\\\n", " ").split())
    assert "kubectl apply -k deploy/k8s/secrets --namespace churn-staging" in readme


@needs_kubectl
def test_the_secret_is_generated_from_a_git_ignored_file(tmp_path):
    secrets = K8S / "secrets"
    example = (secrets / "api-key.env.example").read_text(encoding="utf-8")
    (line,) = [line for line in example.splitlines() if line.startswith("CHURN_API_KEY=")]
    assert line.split("=", 1)[1].startswith("replace-me")  # a placeholder, never a key
    assert "examples/deploy/k8s/secrets/api-key.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    copy = shutil.copytree(secrets, tmp_path / "secrets")
    (copy / "api-key.env").write_text("CHURN_API_KEY=0123abcd\n", encoding="utf-8")
    result = subprocess.run(["kubectl", "kustomize", str(copy)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (secret,) = yaml.safe_load_all(result.stdout)
    # The exact name and key the Deployments read (no hash suffix: they live in another kustomization).
    assert (secret["kind"], secret["metadata"]["name"], list(secret["data"])) == ("Secret", "churn-api-key",
                                                                                   ["CHURN_API_KEY"])
    assert base64.b64decode(secret["data"]["CHURN_API_KEY"]) == b"0123abcd"


def test_the_tree_commits_no_secret_value():
    assert checks.check_tree() == []


def test_the_key_file_is_where_the_key_belongs(tmp_path):
    root = shutil.copytree(K8S / "secrets", tmp_path / "k8s" / "secrets").parent
    (root / "secrets" / "api-key.env").write_text("CHURN_API_KEY=0123abcd\n", encoding="utf-8")
    (root / "stray.env").write_text("CHURN_API_KEY=0123abcd\n", encoding="utf-8")
    assert [problem.source for problem in checks.check_tree(root)] == ["k8s/stray.env:1"]


@needs_kubectl
def test_autoscaler_bounds_differ_by_environment(rendered):
    bounds = {name: (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
              for name in ("staging", "production")
              for hpa in objects_of(rendered[name], "HorizontalPodAutoscaler").values()}
    assert bounds == {"staging": (1, 2), "production": (3, 10)}


@needs_kubectl
def test_production_sends_ten_percent_to_a_one_pod_canary(rendered):
    production = rendered["production"]
    assert route_weights(production) == {"churn-api": 90, "churn-api-canary": 10}
    deployments = objects_of(production, "Deployment")
    assert deployments["churn-api-canary"]["spec"]["replicas"] == 1
    images = {name: deployment["spec"]["template"]["spec"]["containers"][0]["image"]
              for name, deployment in deployments.items()}
    assert images == {"churn-api": "ghcr.io/OWNER/churn-api:1.0.0", "churn-api-canary": "ghcr.io/OWNER/churn-api:1.1.0"}
    services = objects_of(production, "Service")
    assert services["churn-api-canary"]["spec"]["selector"]["track"] == "canary"
    assert services["churn-api"]["spec"]["selector"]["track"] == "stable"
    assert set(objects_of(production, "HorizontalPodAutoscaler")) == {"churn-api"}


# --- broken copies: the message names the file, the object and the rule ------------------------


def copy_tree(destination: Path) -> Path:
    """A copy of the k8s tree under ``destination``; returns its root."""
    root = destination / "k8s"
    shutil.copytree(K8S, root)
    return root


def break_file(root: Path, relative: str, old: str, new: str) -> None:
    """Replace the first ``old`` by ``new`` in one file of the copy."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_in(root: Path, overlay: str) -> list[str]:
    return [str(problem) for problem in checks.check_all([root / "overlays" / overlay], root)]


READINESS_PROBE = """          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
"""

BROKEN = {
    "no readiness probe": ("base/deployment.yaml", READINESS_PROBE, "", "staging",
                           "k8s/base/deployment.yaml: Deployment/churn-api: probes: container churn-api has no "
                           "readinessProbe"),
    "liveness on the wrong path": ("base/deployment.yaml", "path: /health\n              port: http\n"
                                   "            periodSeconds: 10", "path: /healthz\n              port: http\n"
                                   "            periodSeconds: 10", "staging",
                                   "Deployment/churn-api: probes: livenessProbe must be httpGet /health on port 8080"),
    "weights 90/20": ("overlays/production/httproute.yaml", "weight: 10", "weight: 20", "production",
                      "k8s/overlays/production/httproute.yaml: HTTPRoute/churn-api: route weights: rule 1: "
                      "weights 90/20 add up to 110, not 100"),
    "backend to a missing Service": ("overlays/production/httproute.yaml", "name: churn-api-canary",
                                     "name: churn-api-canry", "production",
                                     "k8s/overlays/production/httproute.yaml: HTTPRoute/churn-api: route backends: "
                                     "rule 1: backendRef 'churn-api-canry' names no Service"),
    "misspelt field in a Service": ("base/service.yaml", "protocol: TCP", "protocl: TCP", "staging",
                                    "k8s/base/service.yaml: Service/churn-api: Kubernetes 1.35 schema: spec.ports.0: "
                                    "Additional properties are not allowed ('protocl' was unexpected)"),
    "misspelt field in the HTTPRoute": ("overlays/staging/httproute.yaml", "weight: 100", "weigth: 100", "staging",
                                        "k8s/overlays/staging/httproute.yaml: HTTPRoute/churn-api: Gateway API "
                                        "HTTPRoute schema: spec.rules.0.backendRefs.0: Additional properties"),
    "old HPA API": ("base/hpa.yaml", "autoscaling/v2", "autoscaling/v2beta2", "staging",
                    "k8s/base/hpa.yaml: HorizontalPodAutoscaler/churn-api: Kubernetes 1.35 schema: no "
                    "HorizontalPodAutoscaler in autoscaling/v2beta2"),
    "writable root filesystem": ("base/deployment.yaml", "readOnlyRootFilesystem: true",
                                 "readOnlyRootFilesystem: false", "staging",
                                 "k8s/base/deployment.yaml: Deployment/churn-api: readOnlyRootFilesystem: container "
                                 "churn-api must set readOnlyRootFilesystem: true"),
    "capabilities kept": ("base/deployment.yaml", 'drop: ["ALL"]', 'drop: ["NET_RAW"]', "staging",
                          "Deployment/churn-api: capabilities: container churn-api must drop ALL capabilities"),
    "no limits": ("overlays/staging/kustomization.yaml", "\n          limits: {cpu: 500m, memory: 512Mi}", "",
                  "staging", "k8s/base/deployment.yaml: Deployment/churn-api: requests and limits: container churn-api "
                  "sets no limits.cpu, limits.memory"),
    "unknown setting": ("base/settings.env", "CHURN_MAX_BATCH=1000", "CHURN_MAX_BATCHES=1000", "staging",
                        "Deployment/churn-api: settings: CHURN_MAX_BATCHES is not a setting of "
                        "churn.service.settings"),
    "bad setting value": ("overlays/staging/kustomization.yaml", "CHURN_LOG_LEVEL=DEBUG", "CHURN_LOG_LEVEL=LOUD",
                          "staging", "settings values: invalid service settings: CHURN_LOG_LEVEL"),
    "prediction log off the mounts": ("base/settings.env", "CHURN_PREDICTION_LOG=/var/lib/churn/",
                                      "CHURN_PREDICTION_LOG=/data/", "staging",
                                      "Deployment/churn-api: writable paths: /data (CHURN_PREDICTION_LOG) is on the "
                                      "read-only root filesystem"),
    "API key as a literal": ("base/deployment.yaml", "valueFrom:\n                secretKeyRef:\n"
                             "                  name: churn-api-key\n                  key: CHURN_API_KEY",
                             'value: "not-a-secret"', "staging",
                             "Deployment/churn-api: API key from a Secret: CHURN_API_KEY has a literal value"),
    "PDB selecting nothing": ("base/pdb.yaml", "app.kubernetes.io/name: churn-api",
                              "app.kubernetes.io/name: churn-api\n      tier: web", "staging",
                              "k8s/base/pdb.yaml: PodDisruptionBudget/churn-api: PodDisruptionBudget selector: "
                              "selector"),
    "tracking server port not let out": ("base/settings.env", "mlflow.svc.cluster.local:5000",
                                         "mlflow.svc.cluster.local:5001", "staging",
                                         "k8s/networkpolicy/networkpolicy.yaml: NetworkPolicy/churn-api: NetworkPolicy "
                                         "egress: no egress rule allows port 5001: the pods cannot reach the tracking "
                                         "server"),
    "unpinned image": ("overlays/staging/kustomization.yaml", "newTag: 1.1.0", "newTag: latest", "staging",
                       "Deployment/churn-api: image tag: container churn-api runs 'ghcr.io/OWNER/churn-api:latest'"),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """One copy of the tree with every breakage of BROKEN applied, rendered and checked once per overlay.

    The breakages are independent (each its own file region and its own message), so one render
    per overlay tests them all: {overlay: [message]}.
    """
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    root = copy_tree(tmp_path_factory.mktemp("broken"))
    for relative, old, new, _, _ in BROKEN.values():
        break_file(root, relative, old, new)
    return {overlay: problems_in(root, overlay) for overlay in {case[3] for case in BROKEN.values()}}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copy_fails_naming_the_file_and_the_rule(broken, case):
    *_, overlay, expected = BROKEN[case]
    assert any(expected in message for message in broken[overlay]), broken[overlay]


@needs_kubectl
def test_a_committed_secret_is_found_in_the_tree_and_the_render(tmp_path):
    root = copy_tree(tmp_path)
    break_file(root, "base/kustomization.yaml", "  - pdb.yaml\n", "  - pdb.yaml\n  - secret.yaml\n")
    (root / "base" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: churn-api-key\nstringData:\n  CHURN_API_KEY: hunter2\n",
        encoding="utf-8")
    messages = problems_in(root, "staging")
    assert any(message.startswith("k8s/base/secret.yaml: Secret/churn-api-key: no committed secret values")
               for message in messages), messages
    assert sum("no committed secret values" in message for message in messages) == 2


def test_a_key_file_or_generator_literal_is_found_in_the_tree(tmp_path):
    root = tmp_path / "k8s"
    (root / "base").mkdir(parents=True)
    (root / "base" / "api-key.env").write_text("CHURN_API_KEY=hunter2\n", encoding="utf-8")
    (root / "base" / "kustomization.yaml").write_text(
        "secretGenerator:\n  - name: churn-api-key\n    literals: [CHURN_API_KEY=hunter2]\n", encoding="utf-8")
    messages = [str(problem) for problem in checks.check_tree(root)]
    assert messages == [
        "k8s/base/api-key.env:1: CHURN_API_KEY: no committed secret values: remove the key from the file; put it "
        "in deploy/k8s/secrets/api-key.env (git-ignored)",
        "k8s/base/kustomization.yaml: secretGenerator/churn-api-key: no committed secret values: literals put the "
        "value in the repository: read an untracked file or create the Secret with kubectl",
    ]


@needs_kubectl
def test_a_network_policy_inside_the_labelled_base_loses_dns_and_is_refused(tmp_path):
    # The tracks' labels (includeSelectors) also rewrite the podSelector of the policy's DNS peer.
    root = copy_tree(tmp_path)
    break_file(root, "overlays/staging/kustomization.yaml", "  - ../../networkpolicy\n", "")
    break_file(root, "base/kustomization.yaml", "  - pdb.yaml\n", "  - pdb.yaml\n  - ../networkpolicy\n")
    messages = problems_in(root, "staging")
    assert any(message.startswith("k8s/networkpolicy/networkpolicy.yaml: NetworkPolicy/churn-api: "
                                  "NetworkPolicy egress: the DNS rule's podSelector") and "'track': 'stable'" in message
               for message in messages), messages


@needs_kubectl
@pytest.mark.parametrize("overlay", ["staging", "production", "bluegreen"])
def test_one_network_policy_lets_every_track_reach_dns(rendered, overlay):
    (policy,) = objects_of(rendered[overlay], "NetworkPolicy").values()
    (dns,) = [rule for rule in policy["spec"]["egress"] if {"port": 53, "protocol": "UDP"} in rule["ports"]]
    assert [peer["podSelector"]["matchLabels"] for peer in dns["to"]] == [{"k8s-app": "kube-dns"}]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "churn-api"}


# --- blue/green: the one-line switch flips the route -----------------------------------------


@needs_kubectl
def test_bluegreen_switch_flips_the_route_with_one_line(tmp_path, rendered):
    blue = rendered["bluegreen"]
    root = copy_tree(tmp_path)
    break_file(root, "overlays/bluegreen/kustomization.yaml", "path: active-blue.yaml", "path: active-green.yaml")
    before = (K8S / "overlays" / "bluegreen" / "kustomization.yaml").read_text(encoding="utf-8").splitlines()
    after = (root / "overlays" / "bluegreen" / "kustomization.yaml").read_text(encoding="utf-8").splitlines()
    assert sum(old != new for old, new in zip(before, after, strict=True)) == 1
    green = checks.render(root / "overlays" / "bluegreen", root)
    assert route_weights(blue) == {"churn-api-blue": 100}
    assert route_weights(green) == {"churn-api-green": 100}
    for state in (blue, green):
        assert set(objects_of(state, "Deployment")) == {"churn-api-blue", "churn-api-green"}
    assert checks.check_rendered(green, root) == []


def test_documented_kubectl_patch_flips_the_same_field(rendered):
    (route,) = objects_of(rendered["bluegreen"], "HTTPRoute").values()
    assert route["spec"]["rules"][0]["backendRefs"][0]["name"] == "churn-api-blue"
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert '"path":"/spec/rules/0/backendRefs/0/name","value":"churn-api-green"' in readme


# --- the Dagster deployment ------------------------------------------------------------------

DAGSTER = DEPLOY / "dagster"


def test_dagster_values_launch_runs_as_kubernetes_jobs_from_the_pipeline_module():
    values = yaml.safe_load((DAGSTER / "values.yaml").read_text(encoding="utf-8"))
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (location,) = values["dagster-user-deployments"]["deployments"]
    assert location["dagsterApiGrpcArgs"] == ["--module-name", "churn.pipeline.definitions"]
    assert location["includeConfigInLaunchedRuns"] == {"enabled": True}
    kinds = [obj["kind"] for obj in checks.run_pod_objects(values)]
    assert kinds == ["Job", "Deployment"]


@needs_kubectl
def test_dagster_deployment_passes_every_check():
    assert [str(problem) for problem in checks.check_dagster()] == []


def test_dagster_module_is_the_pipelines():
    assert importlib.util.find_spec(checks.DAGSTER_MODULE) is not None


@needs_kubectl
def test_dagster_configmap_holds_variables_the_pipeline_reads(tmp_path):
    rendered = checks.render(DAGSTER / "k8s", DAGSTER)
    (configmap,) = rendered.objects
    assert configmap["metadata"] == {"name": "churn-pipeline-env", "namespace": "churn-pipeline",
                                     "labels": {"app.kubernetes.io/part-of": "churn",
                                                "app.kubernetes.io/component": "training-pipeline"}}
    assert set(configmap["data"]) <= {"CHURN_CONFIG", "CHURN_DATA", "CHURN_TRACKING_URI", "CHURN_RETRAIN_SIGNAL"}
    source = Path(importlib.util.find_spec("churn.pipeline.resources").origin).read_text(encoding="utf-8")
    assert all(f'"{name}"' in source for name in configmap["data"])


DAGSTER_BROKEN = {
    "default run launcher": ("values.yaml", "type: K8sRunLauncher", "type: DefaultRunLauncher",
                             "values.yaml: runLauncher: K8sRunLauncher: runLauncher.type is 'DefaultRunLauncher'"),
    "ConfigMap not rendered": ("values.yaml", "- name: churn-pipeline-env", "- name: churn-pipline-env",
                               "dagster-user-deployments/churn-pipeline: settings ConfigMap: envConfigMaps names "
                               "'churn-pipline-env'"),
    "misspelt run field": ("values.yaml", "ttlSecondsAfterFinished: 86400", "ttlSecondAfterFinished: 86400",
                           "values.yaml: runLauncher.config.k8sRunLauncher.runK8sConfig: Kubernetes 1.35 schema: spec: "
                           "Additional properties are not allowed ('ttlSecondAfterFinished' was unexpected)"),
    "run as root allowed": ("values.yaml", "      podSecurityContext:\n        runAsNonRoot: true\n",
                            "      podSecurityContext:\n        runAsNonRoot: false\n",
                            "dagster-user-deployments/churn-pipeline: runAsNonRoot"),
    "another module": ("values.yaml", '- "churn.pipeline.definitions"', '- "churn.pipeline.assets"',
                       "dagster-user-deployments/churn-pipeline: code location: dagsterApiGrpcArgs must load the "
                       "module churn.pipeline.definitions"),
}


@pytest.fixture(scope="module")
def dagster_broken(tmp_path_factory):
    """A copy of deploy/dagster with every breakage of DAGSTER_BROKEN applied, checked once."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    root = tmp_path_factory.mktemp("dagster") / "dagster"
    shutil.copytree(DAGSTER, root)
    for relative, old, new, _ in DAGSTER_BROKEN.values():
        break_file(root, relative, old, new)
    return [str(problem) for problem in checks.check_dagster(root)]


@pytest.mark.parametrize("case", sorted(DAGSTER_BROKEN))
def test_broken_dagster_values_fail_naming_the_file_and_the_rule(dagster_broken, case):
    expected = DAGSTER_BROKEN[case][-1]
    assert any(expected in message for message in dagster_broken), dagster_broken


# --- the command line ------------------------------------------------------------------------


@needs_kubectl
def test_command_line_passes_on_the_committed_overlays(capsys, rendered):
    assert checks.main([str(K8S / "overlays" / "staging")]) == 0
    assert capsys.readouterr().out.startswith("staging checked against Kubernetes 1.35.0, 1.37.0")


@needs_kubectl
def test_command_line_prints_one_line_per_problem_and_exits_1(capsys, tmp_path):
    root = copy_tree(tmp_path)
    break_file(root, "overlays/staging/httproute.yaml", "weight: 100", "weight: 50")
    assert checks.main([str(root / "overlays" / "staging")]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "k8s/overlays/staging/httproute.yaml: HTTPRoute/churn-api: route weights: rule 1: weights 50 add up to 50, "
        "not 100"]
    assert captured.err == f"1 problem(s); HTTPRoutes checked against {checks.httproute_schema_file(root)[1]}\n"
    assert "schemas/gateway-api/httproute-v1" in captured.err


def test_command_line_refuses_a_folder_that_is_no_overlay(capsys, tmp_path):
    assert checks.main([str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {tmp_path} has no kustomization.yaml: pass an overlay directory")
    assert error.count("\n") == 1
