"""Lecture 4.4: the architecture page names exactly the modules and endpoints the code contains."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = runpy.run_path(str(ROOT / "examples/lectures/s04/map_the_system.py"))
PAGE = next((ROOT / "docs/course/04-project-use-case").glob("4.4-*.md")).read_text(encoding="utf-8")
ENDPOINTS = ["GET   /health", "GET   /ready", "POST  /predict", "POST  /predict/batch", "POST  /explain",
             "GET   /metrics"]


@pytest.fixture(scope="module")
def modules():
    return SCRIPT["modules"]()


def test_the_package_has_the_modules_the_diagrams_name(modules):
    top_level = {name for name in modules if name.count(".") == 1}
    assert top_level == {f"churn.{name}" for name in (
        "capstone", "cli", "config", "contract", "evaluate", "features", "generate", "governance", "ingest",
        "model_bundle", "monitoring", "onnx_export", "pipeline", "predict", "registry", "scoring", "service",
        "spark_scoring", "tracking", "train", "tuning", "validate")}, "update the diagrams of lecture 4.4"
    assert all(summary for summary in modules.values())
    said = re.search(r"You should see (\d+) modules", PAGE)
    assert said and int(said.group(1)) == len(modules), \
        f"step 1 of the lab says {said and said.group(1)} modules; map_the_system.py finds {len(modules)}"


def test_every_module_is_on_the_page_and_every_name_on_the_page_exists(modules):
    mentioned = set(re.findall(r"\bchurn\.(?!md\b)[a-z_]+(?:\.[a-z_]+)?", PAGE))  # not the link to churn.md
    assert mentioned <= set(modules), f"the page names modules that do not exist: {mentioned - set(modules)}"
    missing = {name for name in modules if name.count(".") == 1 and name not in mentioned}
    assert not missing, f"modules missing from the page: {missing}"


def test_the_service_has_exactly_the_endpoints_on_the_page():
    endpoints = SCRIPT["endpoints"]()
    assert endpoints == ENDPOINTS
    for endpoint in endpoints:
        method, path = endpoint.split()
        assert f"`{method} {path}`" in PAGE, f"the endpoint table of lecture 4.4 lacks {endpoint}"


def test_every_part_around_the_core_names_its_section_and_none_is_drawn_as_missing():
    page = PAGE.replace("<br/>", " ")
    for label in ("Docker image (7)", "Compose stack (7)", "Orchestrator (9): Dagster, DVC", "CI/CD (10)",
                  "Kubernetes (11)", "Batch scoring (11): churn score, Spark", "Prometheus, Grafana (12)",
                  "Drift and feedback (12): drift, realised performance",
                  "Governance (13): approvals, audit log, erasure", "Model card, explain (13)",
                  "Kubernetes probes (11)", "Prometheus (12)"):
        assert f'["{label}"]' in page, f"no diagram node labelled {label!r}"
    # every part exists now: a dashed node or a "to come" would claim otherwise
    assert "stroke-dasharray" not in PAGE and ".->" not in PAGE.split("## The training side")[0]
    assert not re.search(r"still to come|to come\)", PAGE), "lecture 4.4 says a part is still to come"


def test_every_file_the_around_the_core_table_names_exists_and_what_is_dashed_does_not():
    section = PAGE.split("## What runs around the core, and where", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"`((?:examples|\.github)/[^`*]+)`", section)
    assert len(paths) >= 6, f"the table names too few files: {paths}"
    for path in paths:
        assert (ROOT / path).exists(), f"lecture 4.4 names {path}, which does not exist"
    assert list((ROOT / ".github/workflows").glob("project-*.yml")), "the table names .github/workflows/project-*.yml"
    for target in ("bundle", "registry"):
        assert re.search(rf"^FROM \S+ AS {target}$", (ROOT / "examples/Dockerfile").read_text(), re.M)
    for overlay in ("staging", "production", "bluegreen"):
        assert (ROOT / "examples/deploy/k8s/overlays" / overlay / "kustomization.yaml").exists()
    for module in ("churn.monitoring", "churn.governance", "churn.scoring", "churn.spark_scoring"):
        assert f"`{module}" in section or module.replace(".", "/").replace("churn/", "examples/churn/") in section, \
            f"the around-the-core table lacks {module}"
