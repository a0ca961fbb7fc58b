"""GitHub Actions and pre-commit configuration, validated offline."""

from __future__ import annotations

import re

import yaml

# Oldest majors that run on Node 24, with the docker/* ones: one table for both test files.
from tests.workflow_rules import MINIMUM_MAJOR

PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?:v(?P<major>\d+)|[0-9a-f]{40})$")


def workflow_steps(root):
    for path in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        workflow = yaml.safe_load(path.read_text())
        assert workflow.get(True) or workflow.get("on"), f"{path.name}: no trigger"  # YAML 1.1 reads 'on' as True
        for name, job in workflow["jobs"].items():
            # A job runs on a runner, or calls a reusable workflow (project-delivery.yml calls project-ci.yml).
            assert "runs-on" in job or "uses" in job, f"{path.name}: job {name} has no runs-on"
            for step in job.get("steps", []):
                yield path.name, name, step


def test_workflow_actions_are_pinned_to_current_majors(root):
    uses = [(file, job, step["uses"]) for file, job, step in workflow_steps(root) if "uses" in step]
    assert uses, "the workflow should use actions"
    for file, job, action in uses:
        match = PINNED.match(action)
        assert match, f"{file} job {job}: {action} must be pinned by major (@v6) or by commit SHA"
        minimum = MINIMUM_MAJOR.get(match.group("action"))
        if minimum and match.group("major"):
            assert int(match.group("major")) >= minimum, f"{file} job {job}: {action} is older than v{minimum}"


def test_workflow_builds_strictly_tests_and_deploys(root):
    runs = " ".join(step.get("run", "") for _, _, step in workflow_steps(root))
    actions = " ".join(step.get("uses", "") for _, _, step in workflow_steps(root))
    assert "make test" in runs and "make build" in runs
    assert "actions/deploy-pages" in actions and "actions/upload-pages-artifact" in actions
    assert "mkdocs build --strict" in (root / "Makefile").read_text()


def test_pre_commit_runs_ruff_and_the_course_check(root):
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    hook_ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "course-check"} <= hook_ids
