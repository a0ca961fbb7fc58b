"""Run a container's command as if only the image's locked requirements were installed.

The project's environment has the whole training stack, so a command that imports pyarrow or
scikit-learn works here and fails in the lean image. This runner installs an import hook that makes
every third-party module outside the lock files absent (as in the image: an import raises
``ModuleNotFoundError``, so optional imports still fall back), then runs the command in this process. The
dependencies that the installed versions of the locked distributions declare are allowed too
(the installed versions may differ from the lock's; ``pip check`` in the image build covers those)::

    python tests/examples/service_env_guard.py --lock examples/requirements/service.txt -- \\
        python -m uvicorn churn.service.app:create_app --factory --port 8080

The command is what a container runs: ``python -m MODULE ARGS`` or a console script of an
installed distribution (e.g. ``churn serve``). Much faster than the fresh venv of
``benchmarks/service_env.py``, which remains the real measure.
"""

from __future__ import annotations

import argparse
import importlib.abc
import re
import runpy
import sys
from importlib.metadata import PackageNotFoundError, entry_points, packages_distributions, requires
from pathlib import Path

ALWAYS_ALLOWED = {"churn", "__future__"}


def normalise(name: str) -> str:
    """A distribution name as pip compares them (``PyYAML`` and ``pyyaml`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_distributions(paths: list[Path]) -> set[str]:
    """The distributions pinned (``name==version``) in the lock files."""
    names = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                names.add(normalise(line.split("==")[0].strip()))
    return names


def with_dependencies(names: set[str]) -> set[str]:
    """``names`` and everything their installed versions require (extras left out), recursively."""
    from packaging.requirements import Requirement

    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            declared = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in declared:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(normalise(requirement.name))
    return found


class OutsideTheLock(importlib.abc.MetaPathFinder):
    """The only finder on ``sys.meta_path``: hides modules that only distributions outside the lock provide.

    It wraps the usual finders instead of raising, so a hidden module is simply not found, by an
    ``import`` (``ModuleNotFoundError``) and by ``importlib.util.find_spec`` (``None``) alike.
    """

    def __init__(self, finders: list, allowed: set[str], lock_names: str):
        self.finders, self.allowed, self.lock_names = finders, allowed, lock_names
        self.owners = {top: {normalise(d) for d in dists} for top, dists in packages_distributions().items()}
        self.hidden: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        owners = self.owners.get(top)
        if path is None and top not in ALWAYS_ALLOWED and top not in sys.stdlib_module_names and owners \
                and not owners & self.allowed:
            if top not in self.hidden:
                self.hidden.add(top)
                print(f"service_env_guard: {top} is hidden ({', '.join(sorted(owners))} is not in "
                      f"{self.lock_names})", file=sys.stderr)
            return None
        for finder in self.finders:
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                return spec
        return None

    def find_distributions(self, *args, **kwargs):
        """Installed distributions' metadata, unfiltered (mlflow stands in for the lock's mlflow-skinny)."""
        for finder in self.finders:
            if hasattr(finder, "find_distributions"):
                yield from finder.find_distributions(*args, **kwargs)

    def invalidate_caches(self) -> None:
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()

    @classmethod
    def install(cls, locks: list[Path]) -> OutsideTheLock:
        """Put the guard in front of (and around) every finder there is now."""
        guard = cls(list(sys.meta_path), with_dependencies(locked_distributions(locks)),
                    " + ".join(path.name for path in locks))
        sys.meta_path[:] = [guard]
        return guard


def run(command: list[str]) -> None:
    """Run ``python -m MODULE ...`` or a console script in this process, with ``sys.argv`` set."""
    if command[:2] in (["python", "-m"], ["python3", "-m"]):
        sys.argv = [command[2], *command[3:]]
        runpy.run_module(command[2], run_name="__main__", alter_sys=True)
        return
    (script,) = entry_points(group="console_scripts", name=command[0]) or [None]
    if script is None:
        sys.exit(f"{command[0]}: neither 'python -m MODULE' nor a console script of an installed distribution")
    sys.argv = command
    sys.exit(script.load()())


def main() -> None:
    """Parse ``--lock FILE ... -- COMMAND ...``, install the hook, run the command."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, action="append", required=True, help="a requirements lock file")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the container's command")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    OutsideTheLock.install(args.lock)
    run(command)


if __name__ == "__main__":
    main()
