"""Lecture 7.5: check a Dockerfile for the image practices the lecture claims, without a Docker engine.

The Dockerfile is read with the small parser of lecture 7.4 (``image_anatomy.py`` beside this file;
the project installs no Dockerfile parser). The script finds the final targets (the stages that no
other stage builds on or copies from) and checks:

- for the whole file: more than one stage, every base image pinned (an exact version, or a digest),
  pip's download cache kept out of every layer, and a ``.dockerignore`` next to the file that is an
  allow-list containing every path a ``COPY`` takes from the build context;
- for each final target, over the stages it is built from: a numeric, non-root last ``USER``,
  ``ENTRYPOINT`` and ``CMD`` in exec (JSON) form, a ``HEALTHCHECK``, and no ``pip install``.

Each line is ``ok``, ``note`` (a trade-off worth knowing, not an error) or ``FAIL``. Run it from the
repository root with the project's environment::

    python examples/lectures/s07/image_practices.py                     # examples/Dockerfile
    python examples/lectures/s07/image_practices.py path/to/Dockerfile
    python examples/lectures/s07/image_practices.py --write-bad FOLDER  # write a bad Dockerfile there

Exit codes: 0 nothing failed, 1 a check failed, 2 bad input (a missing or unreadable file, a file
without ``FROM``, a folder that cannot take the bad Dockerfile).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from image_anatomy import instructions, stages, target_chain  # lecture 7.4's parser, beside this file

EXAMPLES = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}
PIP_INSTALL = re.compile(r"\bpip\d?(?:\s+--?\S+(?:\s+/\S+)?)*\s+install\b")  # pip [--python PATH] install
Stages = dict[str, tuple[str, list[tuple[str, str]]]]

# --8<-- [start:bad]
BAD_DOCKERFILE = """\
FROM python:latest
WORKDIR /app
COPY . .
RUN pip install -r requirements/service.txt && pip install --no-deps .
CMD uvicorn churn.service.app:create_app --factory --host 0.0.0.0 --port 8080
"""
# --8<-- [end:bad]


class DockerfileError(Exception):
    """The input cannot be checked: the message names the file and what is wrong."""


@dataclass(frozen=True)
class Finding:
    """One checked practice: ``ok``, ``note`` or ``FAIL``, the rule's name and what was found."""

    status: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"  {self.status:<5} {self.rule:<12} {self.detail}"


def read_dockerfile(path: Path) -> tuple[dict[str, str], Stages]:
    """The global ``ARG`` defaults and the stages of ``path``; DockerfileError if it cannot be used."""
    if path.is_dir():
        raise DockerfileError(f"{path} is a folder: name the Dockerfile itself (e.g. {path / 'Dockerfile'})")
    try:
        found = instructions(path)
    except FileNotFoundError:
        raise DockerfileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DockerfileError(f"{path}: cannot be read as text ({error})") from None
    unknown = next((keyword for keyword, _ in found if keyword not in KEYWORDS), None)
    if unknown is not None:
        raise DockerfileError(f"{path}: {unknown!r} is not a Dockerfile instruction; is this a Dockerfile?")
    if not any(keyword == "FROM" for keyword, _ in found):
        raise DockerfileError(f"{path}: no FROM instruction; is this a Dockerfile?")
    arguments = {}
    for keyword, rest in found:
        if keyword == "FROM":
            break  # only the ARGs before the first FROM can be used in FROM lines
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            arguments[name.strip()] = default.strip().strip('"')
    return arguments, {name or "(unnamed)": body for name, body in stages(path).items()}


# --8<-- [start:targets]
def final_targets(all_stages: Stages) -> list[str]:
    """The stages no other stage builds FROM or copies --from: what `docker build --target` can ship."""
    used = {base for base, _ in all_stages.values()}
    for _, body in all_stages.values():
        for keyword, arguments in body:
            if keyword == "COPY":
                used |= set(re.findall(r"--from=(\S+)", arguments))
    return [name for name in all_stages if name not in used]


# --8<-- [end:targets]


def resolve(image: str, arguments: dict[str, str]) -> str:
    """``image`` with ``${NAME}`` and ``$NAME`` replaced by the global ARG defaults."""
    image = re.sub(r"\$\{(\w+)\}", lambda match: arguments.get(match.group(1), ""), image)
    return re.sub(r"\$(\w+)", lambda match: arguments.get(match.group(1), ""), image)


def check_bases(arguments: dict[str, str], all_stages: Stages) -> list[Finding]:
    """One finding per external base image: a digest is best, an exact x.y.z tag is a note, else FAIL."""
    findings = []
    for image in dict.fromkeys(resolve(base, arguments) for base, _ in all_stages.values() if base not in all_stages):
        tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
        if "@sha256:" in image:
            findings.append(Finding("ok", "pinned-base", f"{image.split('@')[0]}: pinned by digest"))
        elif re.search(r"\d+\.\d+\.\d+", tag):
            findings.append(
                Finding(
                    "note", "pinned-base", f"{image}: an exact tag but no digest, so a re-pushed tag changes the base"
                )
            )
        else:
            findings.append(
                Finding(
                    "FAIL", "pinned-base", f"{image or '(empty)'}: a moving tag; pin an exact version, and a digest"
                )
            )
    return findings


def check_pip_cache(all_stages: Stages) -> Finding:
    """pip keeps downloads in ~/.cache/pip unless told not to (--no-cache-dir, or PIP_NO_CACHE_DIR set
    in the stage or a stage it is built FROM)."""
    for name in all_stages:
        body = [instruction for stage in target_chain(all_stages, name) for instruction in all_stages[stage][1]]
        no_cache_env = any(keyword == "ENV" and "PIP_NO_CACHE_DIR=" in rest for keyword, rest in body)
        for keyword, rest in all_stages[name][1]:
            if keyword == "RUN" and PIP_INSTALL.search(rest) and not no_cache_env and "--no-cache-dir" not in rest:
                return Finding(
                    "FAIL",
                    "pip-cache",
                    f"stage {name}: pip install keeps its download cache in the "
                    "layer; set PIP_NO_CACHE_DIR=1 or pass --no-cache-dir",
                )
    return Finding("ok", "pip-cache", "every pip install runs without its download cache")


def copy_sources(all_stages: Stages) -> list[str]:
    """The build-context paths that COPY and ADD take (not those copied --from another stage)."""
    sources = []
    for _, body in all_stages.values():
        for keyword, rest in body:
            if keyword in {"COPY", "ADD"} and "--from=" not in rest:
                parts = [part for part in rest.split() if not part.startswith("--")]
                sources += [part.rstrip("/") or "." for part in parts[:-1]]
    return sources


def check_context(dockerfile: Path, all_stages: Stages) -> Finding:
    """The build context: an allow-list .dockerignore (``*`` first) that lets in every COPY source."""
    ignore = dockerfile.parent / ".dockerignore"
    if not ignore.is_file():
        return Finding(
            "FAIL",
            "context",
            f"no .dockerignore next to {dockerfile.name}: the whole folder, .env and "
            "data included, is sent to the builder",
        )
    patterns = [
        line.strip()
        for line in ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not patterns or patterns[0] != "*":
        return Finding(
            "note", "context", ".dockerignore is a deny-list: anything new in the folder enters the build context"
        )
    allowed = [pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")]
    for source in copy_sources(all_stages):
        if not any(
            source == entry or source.startswith(entry + "/") or fnmatch.fnmatch(source, entry) for entry in allowed
        ):
            return Finding(
                "FAIL", "context", f"COPY {source}: not on .dockerignore's allow-list, so the build cannot find it"
            )
    return Finding(
        "ok", "context", f".dockerignore is an allow-list of {len(allowed)} paths; every COPY source is on it"
    )


# --8<-- [start:exec_form]
def is_exec_form(arguments: str) -> bool:
    """True for a JSON array of strings: the program runs as PID 1 itself, with no /bin/sh -c around it."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return False
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def check_user(body: list[tuple[str, str]]) -> Finding:
    """The last USER of the target must be a number other than 0 (Kubernetes' runAsNonRoot checks numbers)."""
    users = [rest for keyword, rest in body if keyword == "USER"]
    if not users:
        return Finding("FAIL", "non-root", "no USER: the server runs as root")
    user = users[-1].split(":")[0]
    if not user.isdigit():
        return Finding("FAIL", "non-root", f"USER {users[-1]}: a name; runAsNonRoot needs the numeric UID")
    if int(user) == 0:
        return Finding("FAIL", "non-root", f"USER {users[-1]}: that is root")
    return Finding("ok", "non-root", f"USER {users[-1]} (numeric, not root)")


# --8<-- [end:exec_form]


def check_target(target: str, all_stages: Stages) -> list[Finding]:
    """The checks of one final target, over the instructions of every stage it is built from."""
    body = [instruction for stage in target_chain(all_stages, target) for instruction in all_stages[stage][1]]
    findings = [check_user(body)]
    starts = {keyword: rest for keyword, rest in body if keyword in {"ENTRYPOINT", "CMD"}}  # the last of each
    shell = [keyword for keyword, rest in starts.items() if not is_exec_form(rest)]
    if not starts:
        findings.append(Finding("FAIL", "exec-form", "neither ENTRYPOINT nor CMD: the base image's command runs"))
    elif shell:
        findings.append(
            Finding(
                "FAIL",
                "exec-form",
                f"{' and '.join(shell)} in shell form: /bin/sh is PID 1 and "
                "docker stop's SIGTERM never reaches the server",
            )
        )
    else:
        findings.append(Finding("ok", "exec-form", f"{' and '.join(starts)}: JSON arrays, the server is PID 1"))
    health = [rest for keyword, rest in body if keyword == "HEALTHCHECK"]
    url = re.search(r"https?://[^'\"\s]+", health[-1]) if health else None
    if health and health[-1].upper() != "NONE":
        findings.append(Finding("ok", "healthcheck", f"asks {url.group(0) if url else health[-1][:40]}"))
    else:
        findings.append(
            Finding(
                "FAIL", "healthcheck", "no HEALTHCHECK: Docker and Compose cannot tell a hung server from a healthy one"
            )
        )
    if any(keyword == "RUN" and PIP_INSTALL.search(rest) for keyword, rest in body):
        findings.append(
            Finding(
                "FAIL", "no-pip", "pip install in the shipped stages: install in a builder stage and COPY --from it"
            )
        )
    else:
        findings.append(Finding("ok", "no-pip", "nothing is installed in the shipped stages"))
    return findings


def check(dockerfile: Path) -> list[tuple[str, list[Finding]]]:
    """Every finding for ``dockerfile``, grouped under a heading: the whole file, then each final target."""
    arguments, all_stages = read_dockerfile(dockerfile)
    targets = final_targets(all_stages)
    builders = [name for name in all_stages if name not in targets]
    if builders:
        stage_finding = Finding(
            "ok", "multi-stage", f"final targets {', '.join(targets)}; {', '.join(builders)} only feed them"
        )
    else:
        stage_finding = Finding("FAIL", "multi-stage", "one stage: whatever the build needed ships in the image")
    whole = [
        stage_finding,
        *check_bases(arguments, all_stages),
        check_pip_cache(all_stages),
        check_context(dockerfile, all_stages),
    ]
    count = f"{len(all_stages)} stage{'s' if len(all_stages) > 1 else ''}"
    groups = [(f"{shown(dockerfile)}: {count}", whole)]
    for target in targets:
        chain = target_chain(all_stages, target)
        built_on = f" (built on {' -> '.join(chain[:-1])})" if len(chain) > 1 else ""
        groups.append((f"target {target}{built_on}", check_target(target, all_stages)))
    return groups


def shown(path: Path) -> str:
    """``path`` relative to the current folder where it lies below it, as given otherwise."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write_bad(folder: Path) -> Path:
    """Write BAD_DOCKERFILE to ``folder``/Dockerfile (never over an existing file); return its path."""
    if folder.exists() and not folder.is_dir():
        raise DockerfileError(f'{folder} is a file, not a folder: pass an empty folder (e.g. "$(mktemp -d)")')
    target = folder / "Dockerfile"
    if target.exists():
        raise DockerfileError(f'{target} exists already: pass an empty folder (e.g. "$(mktemp -d)")')
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(BAD_DOCKERFILE, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Check one Dockerfile (or write the bad one); print one line per practice; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "dockerfile",
        nargs="?",
        type=Path,
        default=EXAMPLES / "Dockerfile",
        help="the Dockerfile to check (default: examples/Dockerfile)",
    )
    parser.add_argument(
        "--write-bad",
        type=Path,
        metavar="FOLDER",
        help="write a deliberately bad Dockerfile into FOLDER and check nothing",
    )
    args = parser.parse_args(argv)
    try:
        if args.write_bad:
            print(f"wrote {write_bad(args.write_bad)}")
            return 0
        groups = check(args.dockerfile)
    except DockerfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    findings = [finding for _, group in groups for finding in group]
    for heading, group in groups:
        print(heading)
        print("\n".join(str(finding) for finding in group))
    failed = sum(finding.status == "FAIL" for finding in findings)
    notes = sum(finding.status == "note" for finding in findings)
    print(f"{failed} failed, {notes} {'note' if notes == 1 else 'notes'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
