"""Lecture 7.4: what the service image is made of, read without a Docker engine.

Two views of ``examples/Dockerfile``:

1. the stages, and which instructions of the default target add a filesystem layer (``RUN``,
   ``COPY``, ``ADD``) and which only set metadata in the image's config (``ENV``, ``USER``, ...);
2. why an ML image is big: the installed size, in this environment, of the packages the service
   lock installs (``requirements/service.txt``) against the packages the full project pulls in
   (``pyproject.toml``'s dependencies and theirs: the training stack).

Run from the repository root with the project's environment::

    python examples/lectures/s07/image_anatomy.py
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2]


# --8<-- [start:layers]
LAYER_KEYWORDS = {"RUN", "COPY", "ADD"}  # these change the filesystem: one layer each


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    found, buffer = [], ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        buffer += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, arguments = buffer.strip().partition(" ")
            found.append((keyword.upper(), arguments.strip()))
            buffer = ""
    return found


def stages(dockerfile: Path) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each stage by name: the image it starts FROM and its instructions."""
    result, current = {}, None
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            base, _, name = arguments.partition(" AS ")
            current = name.strip()
            result[current] = (base.strip(), [])
        elif current is not None:
            result[current][1].append((keyword, arguments))
    return result


# --8<-- [end:layers]


def target_chain(all_stages: dict, target: str) -> list[str]:
    """The stages a target is built on, base first (a stage FROM another stage continues it)."""
    chain = [target]
    while all_stages[chain[0]][0] in all_stages:
        chain.insert(0, all_stages[chain[0]][0])
    return chain


def show_layers(dockerfile: Path, target: str) -> None:
    """Print the stages, then the layers the target adds on top of its base image."""
    all_stages = stages(dockerfile)
    print(f"{dockerfile.relative_to(EXAMPLES.parent)}: {len(all_stages)} stages")
    for name, (base, body) in all_stages.items():
        print(f"  {name:<17} FROM {base}  ({sum(k in LAYER_KEYWORDS for k, _ in body)} layer instructions)")
    chain = target_chain(all_stages, target)
    print(f"target {target!r} = base image + stages {' -> '.join(chain)}:")
    for name in chain:
        for keyword, arguments in all_stages[name][1]:
            kind = "layer " if keyword in LAYER_KEYWORDS else "config"
            print(f"  {kind} {keyword:<11} {arguments[:60]}{'...' if len(arguments) > 60 else ''}")


# --8<-- [start:sizes]
def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_mb(name: str) -> float:
    """Bytes of the files an installed distribution recorded, in MB (10^6 bytes)."""
    files = distribution(name).files or []
    return sum(path.locate().stat().st_size for path in files if path.locate().is_file()) / 1e6


def closure(names: set[str]) -> set[str]:
    """The distributions ``names`` need, and theirs, as installed here (extras left out)."""
    seen, todo = set(), [normalise(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        seen.add(name)
        todo += [normalise(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0]) for req in requires if "extra ==" not in req]
    return seen


def lock_names(lock: Path) -> set[str]:
    """The package names pinned in a requirements lock."""
    return {
        normalise(line.split("==")[0])
        for line in lock.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }


# --8<-- [end:sizes]


def show_sizes() -> None:
    """Print the service lock's size against the full project's, as installed in this environment."""
    service = closure(lock_names(EXAMPLES / "requirements/service.txt"))
    project = tomllib.loads((EXAMPLES / "pyproject.toml").read_text())["project"]["dependencies"]
    full = closure({re.split(r"[=<>!~\[ ]", req, maxsplit=1)[0] for req in project})
    training = full - service
    sizes = {name: installed_mb(name) for name in full | service}
    print(f"service lock:    {len(service):3d} distributions, {sum(sizes[n] for n in service):6.0f} MB")
    print(f"full project:    {len(full):3d} distributions, {sum(sizes[n] for n in full):6.0f} MB")
    print(f"training only:   {len(training):3d} distributions, {sum(sizes[n] for n in training):6.0f} MB; largest:")
    for name in sorted(training, key=sizes.get, reverse=True)[:5]:
        print(f"  {sizes[name]:6.1f} MB  {name}")


def main() -> int:
    show_layers(EXAMPLES / "Dockerfile", target="bundle")
    print()
    show_sizes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
