"""Offline rules for the GitHub Actions workflows; each broken rule is one line naming the file and the rule.

Run it on files: ``python -m tests.workflow_rules .github/workflows/project-*.yml`` (exit 1 when a rule
breaks). ``tests/test_project_workflows.py`` runs it on the project's workflows and on broken copies.

Rules (the name in brackets starts each message):

- ``[schema]``: the github-workflows JSON schema (``check-jsonschema --builtin-schema vendor.github-workflows``);
- ``[zizmor:<audit>]``: a ``zizmor --offline`` finding of medium or high severity;
- ``[pinned]``, ``[current-major]``: every action is pinned by commit SHA with a ``# vX.Y.Z`` comment, or by
  major, and that major is at least the one in [`MINIMUM_MAJOR`][tests.workflow_rules.MINIMUM_MAJOR];
- ``[permissions]``: ``permissions: {}`` at the top, an explicit mapping on every job, and a write scope
  only on a job with a step that needs it ([`WRITE_NEEDS`][tests.workflow_rules.WRITE_NEEDS]);
- ``[expression-in-run]``: no ``${{ }}`` inside ``run:``; values reach the shell through ``env:``;
- ``[persist-credentials]``: every ``actions/checkout`` sets ``persist-credentials: false``;
- ``[path-filter]``: ``push`` and ``pull_request`` triggers filter on ``examples/**`` (a rule for the
  project's workflows: the site's run on every change).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

# Oldest majors that run on Node 24 (Node 20 left GitHub's runners in September 2026). The docker/* majors
# and attest-build-provenance's were read from the actions' release notes (dependabot bumps of 2026).
MINIMUM_MAJOR = {
    "actions/checkout": 6,
    "actions/setup-python": 6,
    "actions/setup-node": 6,
    "actions/cache": 5,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
    "actions/attest-build-provenance": 4,
    "docker/setup-buildx-action": 4,
    "docker/login-action": 4,
    "docker/metadata-action": 6,
    "docker/build-push-action": 7,
}
# Write scopes a job may hold, each with the actions that need it; any other write scope is refused.
WRITE_NEEDS = {
    "packages": {"docker/build-push-action", "actions/attest-build-provenance"},
    "id-token": {"actions/attest-build-provenance", "actions/deploy-pages"},
    "attestations": {"actions/attest-build-provenance"},
    "pages": {"actions/deploy-pages"},
}
BLOCKING_SEVERITIES = {"Medium", "High"}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)\s*(?:#\s*(?P<comment>.*))?$")
PIN = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?:v(?P<major>\d+)|(?P<sha>[0-9a-f]{40}))$")
COMMENT_VERSION = re.compile(r"^v(?P<major>\d+)(?:\.\d+){0,2}\b")
BIN = Path(sys.executable).parent


def tool(name: str) -> Path | None:
    """The validator installed next to this Python (the course's test extra installs both), or None."""
    path = BIN / name
    return path if path.exists() else None


def triggers(workflow: dict) -> dict:
    """The ``on:`` mapping (PyYAML reads the key ``on`` as ``True``), with string or list forms expanded."""
    on = workflow.get("on", workflow.get(True, {}))
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    return {event: spec or {} for event, spec in on.items()}


def schema_problems(path: Path) -> list[str]:
    """``[schema]`` messages from check-jsonschema (empty when it is not installed: the test skips then)."""
    binary = tool("check-jsonschema")
    if binary is None:
        return []
    result = subprocess.run([str(binary), "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    detail = " ".join(line.strip() for line in result.stdout.splitlines() if line.strip().startswith(("$", "-")))
    return [f"{path.name}: [schema] does not match the github-workflows schema: {detail or result.stdout.strip()}"]


def zizmor_findings(path: Path) -> list[dict]:
    """zizmor's findings (``--offline --format json``), every severity; empty when zizmor is not installed."""
    binary = tool("zizmor")
    if binary is None:
        return []
    result = subprocess.run([str(binary), "--offline", "--format", "json", str(path)],
                            capture_output=True, text=True, check=False)
    try:
        return json.loads(result.stdout or "[]")
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{path.name}: zizmor printed no JSON ({error}): {result.stderr.strip()}") from None


def zizmor_problems(path: Path) -> list[str]:
    """``[zizmor:<audit>]`` messages for the findings of medium or high severity."""
    problems = []
    for finding in zizmor_findings(path):
        severity = finding["determinations"]["severity"]
        if severity in BLOCKING_SEVERITIES:
            location = finding["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
            problems.append(f"{path.name}:{location}: [zizmor:{finding['ident']}] {severity.lower()}: "
                            f"{finding['desc']}")
    return problems


def action_problems(path: Path) -> list[str]:
    """``[pinned]`` and ``[current-major]`` messages, read from the text so that version comments count."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = USES.match(line)
        if not match or match["ref"].startswith(("./", "$/", "docker://")):
            continue
        where, ref, comment = f"{path.name}:{number}", match["ref"], (match["comment"] or "").strip()
        pin = PIN.match(ref)
        if not pin:
            problems.append(f"{where}: [pinned] {ref} must be pinned by commit SHA (with a # vX.Y.Z comment) or major")
            continue
        if pin["sha"]:
            version = COMMENT_VERSION.match(comment)
            if not version:
                problems.append(f"{where}: [pinned] {ref} needs a '# vX.Y.Z' comment naming the release of the SHA")
                continue
            major = int(version["major"])
        else:
            major = int(pin["major"])
        minimum = MINIMUM_MAJOR.get(pin["action"])
        if minimum is None:
            problems.append(f"{where}: [current-major] {pin['action']} is not in MINIMUM_MAJOR: check its releases "
                            "for the current major and add it to tests/workflow_rules.py")
        elif major < minimum:
            problems.append(f"{where}: [current-major] {pin['action']} v{major} is older than v{minimum}, "
                            "the oldest major that runs on Node 24")
    return problems


def job_actions(job: dict) -> set[str]:
    """The ``owner/name`` of every action a job's steps use."""
    names = set()
    for step in job.get("steps", []):
        pin = PIN.match(step.get("uses", ""))
        if pin:
            names.add(pin["action"])
    return names


def permission_problems(path: Path, workflow: dict) -> list[str]:
    """``[permissions]`` messages: nothing at the top, explicit and least privilege on every job."""
    problems = []
    if workflow.get("permissions") != {}:
        problems.append(f"{path.name}: [permissions] the workflow must set 'permissions: {{}}' at the top "
                        "and grant each job only what it needs")
    for name, job in workflow.get("jobs", {}).items():
        granted = job.get("permissions")
        if not isinstance(granted, dict):
            shown = "none" if granted is None else repr(granted)
            problems.append(f"{path.name}: [permissions] job {name} needs an explicit permissions mapping "
                            f"(it has {shown}); e.g. 'permissions: {{contents: read}}'")
            continue
        used = job_actions(job)
        for scope, level in granted.items():
            if level != "write":
                continue
            if not WRITE_NEEDS.get(scope, set()) & used:
                needed_by = ", ".join(sorted(WRITE_NEEDS.get(scope, set()))) or "no step of this course"
                problems.append(f"{path.name}: [permissions] job {name} has '{scope}: write' but no step that "
                                f"needs it ({needed_by})")
    return problems


def step_problems(path: Path, workflow: dict) -> list[str]:
    """``[expression-in-run]`` and ``[persist-credentials]`` messages."""
    problems = []
    for name, job in workflow.get("jobs", {}).items():
        for index, step in enumerate(job.get("steps", []), start=1):
            label = f"job {name} step {step.get('name', index)}"
            if "${{" in step.get("run", ""):
                problems.append(f"{path.name}: [expression-in-run] {label} puts ${{{{ }}}} in run:; pass the "
                                "value through env: and use the shell variable")
            if step.get("uses", "").startswith("actions/checkout@") and (
                    step.get("with", {}).get("persist-credentials") is not False):
                problems.append(f"{path.name}: [persist-credentials] {label} must set persist-credentials: false")
    return problems


def path_filter_problems(path: Path, workflow: dict) -> list[str]:
    """``[path-filter]`` messages: code-triggered runs of the project's workflows filter on examples/**."""
    problems = []
    for event, spec in triggers(workflow).items():
        if event in ("push", "pull_request") and "examples/**" not in spec.get("paths", []):
            problems.append(f"{path.name}: [path-filter] the {event} trigger must list 'examples/**' in paths")
    return problems


def problems(path: Path) -> list[str]:
    """Every broken rule of one workflow file, one message each (empty: the file passes)."""
    try:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return [f"{path.name}: [schema] is not valid YAML: {error}"]
    if not isinstance(workflow, dict):
        return [f"{path.name}: [schema] is not a workflow mapping"]
    return (schema_problems(path) + zizmor_problems(path) + action_problems(path)
            + permission_problems(path, workflow) + step_problems(path, workflow)
            + path_filter_problems(path, workflow))


def main(argv: list[str] | None = None) -> int:
    """Check the workflow files given; print one line per broken rule; exit 1 if any, 2 without files."""
    paths = [Path(argument) for argument in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m tests.workflow_rules WORKFLOW.yml...", file=sys.stderr)
        return 2
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"error: no such workflow file: {', '.join(missing)}", file=sys.stderr)
        return 2
    found = [message for path in paths for message in problems(path)]
    print("\n".join(found) if found else f"ok: {len(paths)} workflow(s) pass every rule")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
