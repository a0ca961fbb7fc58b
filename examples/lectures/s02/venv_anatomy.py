"""Lecture 2.5: what the two install commands put where, and what is pinned and what is not.

Run it from the repository root, inside the virtual environment::

    python examples/lectures/s02/venv_anatomy.py

It reads the same files the Makefile installs from (pyproject.toml, examples/pyproject.toml,
package-lock.json) and the running interpreter; it changes nothing.
"""

from __future__ import annotations

import json
import re
import sys
import sysconfig
import tomllib
from importlib.metadata import PackageNotFoundError, distribution, distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# The two projects and extras of the Makefile's install line, as (what pip is given, pyproject.toml, extras).
INSTALLS = [('-e ".[dev]"', ROOT / "pyproject.toml", ("dev",)),
            ('-e "./examples[test,pipeline,versioning,server,explain]"', ROOT / "examples" / "pyproject.toml",
             ("test", "pipeline", "versioning", "server", "explain"))]


# --8<-- [start:extras]
def requirements_of(pyproject: Path, extras: tuple[str, ...] = ()) -> list[str]:
    """The direct requirements that ``pip install "<project>[extras]"`` asks for.

    An extra may name the project itself (``dev = ["mlops-course[test]", ...]``): that
    reference is expanded, so ``[dev]`` means base + test + the dev-only tools.
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted, seen, result = list(extras), set(), list(project.get("dependencies", []))
    while wanted:
        extra = wanted.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in project.get("optional-dependencies", {})[extra]:
            own = re.fullmatch(rf"{re.escape(project['name'])}\[([\w,\s-]+)\]", requirement)
            if own:
                wanted += [name.strip() for name in own[1].split(",")]
            else:
                result.append(requirement)
    return sorted(set(result), key=str.lower)
# --8<-- [end:extras]


# --8<-- [start:editable]
def install_source(name: str) -> str:
    """Where a distribution was installed from: 'editable -> <folder>', 'index' or 'not installed'."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return "not installed"
    direct_url = dist.read_text("direct_url.json")  # written by pip for local and VCS installs (PEP 610)
    if not direct_url:
        return "from an index (a copy in site-packages)"
    info = json.loads(direct_url)
    kind = "editable" if info.get("dir_info", {}).get("editable") else "local copy"
    return f"{kind} -> {info['url']}"
# --8<-- [end:editable]


# --8<-- [start:lockfile]
def lockfile_summary(lockfile: Path) -> tuple[int, int, int]:
    """(lockfileVersion, packages locked, packages locked with an integrity hash)."""
    lock = json.loads(lockfile.read_text(encoding="utf-8"))
    packages = {path: entry for path, entry in lock["packages"].items() if path}  # "" is the project itself
    hashed = sum("integrity" in entry for entry in packages.values())
    return lock["lockfileVersion"], len(packages), hashed
# --8<-- [end:lockfile]


def main() -> None:
    """Print the anatomy of this environment."""
    in_venv = sys.prefix != sys.base_prefix
    print(f"interpreter    {sys.executable}")
    print(f"environment    {sys.prefix} ({'a virtual environment' if in_venv else 'NOT a virtual environment'})")
    print(f"base Python    {sys.base_prefix} (the venv borrows its standard library)")
    print(f"site-packages  {sysconfig.get_paths()['purelib']}")
    print()
    for label, path, extras in INSTALLS:
        requirements = requirements_of(path, extras)
        pinned = sum("==" in requirement for requirement in requirements)
        print(f"pip install {label:<49} {len(requirements)} direct requirements, {pinned} pinned with ==")
    print()
    for name in ("mlops-course", "churn-mlops"):
        print(f"{name:<14} {install_source(name)}")
    print()
    direct = {re.split(r"[=<>\[ ]", requirement)[0].lower().replace("_", "-")
              for _, path, extras in INSTALLS for requirement in requirements_of(path, extras)}
    installed = {dist.metadata["Name"].lower().replace("_", "-") for dist in distributions()}
    own = installed & {"mlops-course", "churn-mlops"}
    seed = installed & {"pip", "setuptools"}  # put there by `python -m venv` itself
    named = installed & direct
    rest = installed - own - seed - named
    print(f"installed distributions: {len(installed)}")
    print(f"  {len(own):>3}  projects of this repository")
    print(f"  {len(named):>3}  named in a pyproject.toml, pinned with ==")
    print(f"  {len(seed):>3}  put there by python -m venv (pip, setuptools)")
    print(f"  {len(rest):>3}  dependencies of dependencies: not pinned by this repository")
    print()
    version_, locked, hashed = lockfile_summary(ROOT / "package-lock.json")
    wanted = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    print(f"package.json asks for {len(wanted)}: {', '.join(f'{k} {v}' for k, v in wanted.items())}")
    print(f"package-lock.json (lockfileVersion {version_}) locks {locked} packages, {hashed} with an integrity hash")


if __name__ == "__main__":
    main()
