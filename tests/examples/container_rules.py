"""The course's rules for the service's Dockerfile and the stack's Compose file, checked offline.

hadolint and the compose-spec schema check what any Dockerfile or Compose file must get right; these
are the rules of issue 3 that they do not know (a non-root numeric user, a health check on
``/health``, loopback-only ports, ...). Each problem is one line naming the file, the rule and the
fix, so a broken copy fails with a message a person can act on (the Dockerfile rules are the
service image's; a thin wrapper of an official image such as deploy/mlflow/Dockerfile is only linted)::

    .venv/bin/python -m tests.examples.container_rules examples/Dockerfile examples/compose.yaml
"""

from __future__ import annotations

import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cmake|python3?-dev)\b")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|API_KEY|ACCESS_KEY", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(\w+)(?:[:?-][^}]*)?\}")
OPTIONS_WITH_A_PATH = {"--python", "-r", "--requirement", "-c", "--constraint", "--target", "--prefix"}
PIP = r"\bpip\d?(?:\s+--python\s+\S+)?\s+"  # pip, pip3, pip --python VENV/bin/python


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its line number and the stage it belongs to."""

    line: int
    keyword: str
    arguments: str
    stage: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions (continuation lines joined, comments dropped)."""
    instructions, buffer, start, stage = [], "", 0, ""
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        start = start or number
        buffer += " " + stripped.removesuffix("\\").strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, arguments = buffer.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = arguments.split()
            stage = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else parts[0]
        instructions.append(Instruction(start, keyword, arguments.strip(), stage))
        buffer, start = "", 0
    return instructions


def dockerfile_problems(path: Path) -> list[str]:
    """Return one line per broken rule of the service's Dockerfile (empty: all rules hold)."""
    instructions = parse_dockerfile(path.read_text(encoding="utf-8"))
    arguments = dict(i.arguments.partition("=")[::2] for i in instructions if i.keyword == "ARG")
    froms = [i for i in instructions if i.keyword == "FROM"]
    problems = []

    def problem(line: int, rule: str, message: str) -> None:
        problems.append(f"{path}:{line}: {rule}: {message}")

    if len(froms) < 2:
        problem(froms[0].line if froms else 1, "multi-stage", "build in a builder stage and copy the result into "
                "a runtime stage (two FROM lines at least)")
    stage_names = {i.stage for i in froms}
    for instruction in froms:
        image = instruction.arguments.split()[0]
        image = INTERPOLATION.sub(lambda match: arguments.get(match.group(1), ""), image)
        image = re.sub(r"\$(\w+)", lambda match: arguments.get(match.group(1), ""), image)
        if image in stage_names:
            continue
        tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
        if "@sha256:" not in image and (not tag or tag == "latest" or not re.search(r"\d+\.\d+\.\d+", tag)):
            problem(instruction.line, "pinned-base", f"base image {image or '(empty)'!r} is not pinned to an "
                    "exact version (e.g. python:3.11.17-slim-trixie)")
    final_stage = froms[-1].stage if froms else ""
    parents = {i.stage: i.arguments.split()[0] for i in froms}
    runtime_stages = {final_stage}
    while parents.get(final_stage) in parents.keys() - runtime_stages:  # ancestors are in the image too
        final_stage = parents[final_stage]
        runtime_stages.add(final_stage)
    in_image = [i for i in instructions if i.stage in runtime_stages]
    users = [i for i in in_image if i.keyword == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1].arguments):
        problem(users[-1].line if users else froms[-1].line, "non-root-user",
                "the final image must end with a numeric non-root USER (e.g. USER 10001:10001)")
    health = [i for i in in_image if i.keyword == "HEALTHCHECK"]
    if not health or "/health" not in health[-1].arguments:
        problem(froms[-1].line, "healthcheck", "the final image needs a HEALTHCHECK that asks /health")
    if not any(i.keyword == "EXPOSE" for i in in_image):
        problem(froms[-1].line, "expose", "EXPOSE the port the service listens on")
    for keyword in ("ENTRYPOINT", "CMD"):
        for instruction in (i for i in in_image if i.keyword == keyword):
            if not instruction.arguments.startswith("["):
                problem(instruction.line, "exec-form", f"{keyword} must use the JSON exec form so signals reach "
                        "the server (e.g. [\"python\", \"-m\", \"uvicorn\", ...])")
    for instruction in pip_checks_after_the_project(instructions, parents):
        problem(instruction.line, "pip-check-order", f"`pip check` runs in stage {instruction.stage!r} after the "
                "project was installed with --no-deps, and reports the dependencies it declares but the lock "
                "leaves out: run pip check on the lock before the project is installed")
    for instruction in (i for i in in_image if i.keyword == "RUN"):
        if BUILD_TOOLS.search(instruction.arguments) or re.search(r"\bpip\d?\s+install\b", instruction.arguments):
            problem(instruction.line, "no-build-tools", "install packages in the builder stage; the runtime stage "
                    "copies the venv and must not install compilers or run pip")
    return problems


def pip_checks_after_the_project(instructions: list[Instruction], parents: dict[str, str]) -> list[Instruction]:
    """The RUNs whose ``pip check`` follows a ``--no-deps`` install of a local project in that stage or its parents.

    A stage ``FROM`` another stage starts with everything its parent installed, so the stage's chain is
    walked from its first ancestor. pip check reports the unmet requirements of every installed
    distribution, and the project declares its training stack, which the image's locks leave out.
    """
    found = []
    for stage in dict.fromkeys(i.stage for i in instructions):
        chain = [stage]
        while parents.get(chain[0]) in parents and parents[chain[0]] not in chain:
            chain.insert(0, parents[chain[0]])
        installed = False
        for instruction in (i for i in instructions if i.stage in chain and i.keyword == "RUN"):
            for command in re.split(r"&&|;|\|\|", instruction.arguments):
                words = command.split()
                if re.search(PIP + r"install\b", command) and "--no-deps" in words and any(
                        word == "." or (word.startswith(("./", "/")) and before not in OPTIONS_WITH_A_PATH)
                        for before, word in itertools.pairwise(words)):  # a folder, not a lock or an interpreter
                    installed = True
                elif (installed and re.search(PIP + r"check\b", command) and instruction.stage == stage
                      and instruction not in found):
                    found.append(instruction)
    return found


def compose_problems(path: Path, env_example: Path | None = None) -> list[str]:
    """Return one line per broken rule of the stack's Compose file (empty: all rules hold)."""
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text) or {}
    services = document.get("services") or {}
    declared_volumes = set(document.get("volumes") or {})
    problems = []

    def problem(where: str, rule: str, message: str) -> None:
        problems.append(f"{path}: {where}: {rule}: {message}")

    if "version" in document:
        problem("version", "no-version", "the top-level version key is obsolete in Compose v2; delete it")
    for name, service in services.items():
        one_shot = str(service.get("restart", "")) == "no"
        image = service.get("image", "")
        if "build" not in service:
            tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
            if not tag or tag == "latest":
                problem(f"services.{name}.image", "pinned-image", f"{image!r}: pin an exact tag, never latest")
        if not one_shot and "test" not in (service.get("healthcheck") or {}):
            problem(f"services.{name}", "healthcheck", "every long-running service needs a healthcheck "
                    "(one-shot jobs say restart: \"no\")")
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {other: {} for other in depends}
        for other, condition in depends.items():
            wanted = "service_completed_successfully" if str(services.get(other, {}).get("restart")) == "no" \
                else "service_healthy"
            if (condition or {}).get("condition") != wanted:
                problem(f"services.{name}.depends_on.{other}", "depends-on-condition",
                        f"start after {other} is ready: condition: {wanted}")
        for port in service.get("ports") or []:
            if not str(port).startswith("127.0.0.1:"):
                problem(f"services.{name}.ports", "loopback-ports", f"{port!r}: bind host ports to 127.0.0.1 "
                        "(e.g. \"127.0.0.1:8080:8080\") so the stack is not reachable from the network")
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
        for key, value in environment.items():
            if SECRET_NAME.search(key) and not INTERPOLATION.fullmatch(str(value)):
                problem(f"services.{name}.environment.{key}", "no-literal-secrets",
                        "take secrets from .env by interpolation (${VARIABLE}), never a value in the file")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else str(volume.get("source", ""))
            if source.startswith((".", "/")):
                if not (path.parent / source).exists():
                    problem(f"services.{name}.volumes", "bind-source-exists", f"{source!r} does not exist")
            elif source and source not in declared_volumes:
                problem(f"services.{name}.volumes", "volume-declared", f"named volume {source!r} is not "
                        "declared under the top-level volumes key")
    if env_example is not None:
        listed = {line.split("=", 1)[0].strip() for line in env_example.read_text(encoding="utf-8").splitlines()
                  if "=" in line and not line.lstrip().startswith("#")}
        code = "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())  # comments may say ${VAR}
        for variable in sorted(set(INTERPOLATION.findall(code)) - listed):
            problem(f"${{{variable}}}", "env-example-covers", f"{env_example.name} must list {variable} "
                    "(every variable the Compose file reads)")
    return problems


def main(paths: list[str]) -> int:
    """Check the files named on the command line; print the problems; exit 1 if there are any."""
    problems = []
    for name in paths:
        path = Path(name)
        if path.name.startswith("Dockerfile"):
            problems += dockerfile_problems(path)
        else:
            example = path.parent / ".env.example"
            problems += compose_problems(path, example if example.exists() else None)
    print("\n".join(problems) or "ok: every rule holds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
