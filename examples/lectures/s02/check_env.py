"""Lectures 2.3 and 2.5: check that this machine can run the course, and say how to fix what is missing.

Run it from the repository root, inside the virtual environment::

    python examples/lectures/s02/check_env.py

Every line starts with OK, WARN or FAIL. The exit code is 1 when a line says FAIL (the course
cannot run), 0 otherwise; a WARN names something that will bite later, with the fix.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PYPROJECTS = (ROOT / "pyproject.toml", ROOT / "examples" / "pyproject.toml")
MIN_PYTHON = (3, 11)
MIN_NODE = 20
PORTS = {8000: "make serve", 8080: "churn serve"}


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    status: str  # "OK", "WARN" or "FAIL"
    what: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{self.status:>4}] {self.what}"
        return f"{text}\n       fix: {self.fix}" if self.fix else text


# --8<-- [start:python_and_venv]
def check_python(version_info: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    """Python 3.11 or newer: the pinned pandas, scikit-learn and FastAPI need it."""
    found = ".".join(str(part) for part in version_info)
    if tuple(version_info[:2]) < MIN_PYTHON:
        return Check("FAIL", f"Python {found} (need >= 3.11)",
                     "install Python 3.11+ and recreate the venv: rm -rf .venv && make test")
    return Check("OK", f"Python {found} (need >= 3.11)")


def check_venv(prefix: str = sys.prefix, base_prefix: str = sys.base_prefix) -> Check:
    """Packages belong in a virtual environment, never in the system Python."""
    if prefix == base_prefix:
        return Check("WARN", f"not in a virtual environment (Python at {prefix})",
                     "source .venv/bin/activate  (Windows PowerShell: .venv\\Scripts\\Activate.ps1)")
    return Check("OK", f"virtual environment {prefix}")
# --8<-- [end:python_and_venv]


def pinned_packages(pyprojects: tuple[Path, ...] = PYPROJECTS) -> dict[str, str]:
    """Return ``{name: version}`` for every ``name==version`` in the projects' dependencies and extras."""
    pins: dict[str, str] = {}
    for path in pyprojects:
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        requirements = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            requirements += extra
        for requirement in requirements:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", requirement.strip())
            if match:
                pins[match[1]] = match[2]
    return pins


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --8<-- [start:pins]
def check_pins(pins: dict[str, str], installed: dict[str, str | None]) -> Check:
    """Compare what pyproject.toml pins with what this environment has installed."""
    missing = sorted(name for name in pins if installed.get(name) is None)
    differ = sorted(f"{name} {installed[name]} != {pins[name]}" for name in pins
                    if installed.get(name) is not None and installed[name] != pins[name])
    summary = f"{len(pins)} pinned packages: {len(pins) - len(missing) - len(differ)} match"
    if not missing and not differ:
        return Check("OK", summary)
    details = "; ".join([*(f"missing {name}" for name in missing), *differ])
    return Check("WARN", f"{summary}, {details}",
                 "make test  (reinstalls when a pyproject.toml is newer than .venv/.installed)")
# --8<-- [end:pins]


def check_churn_package() -> Check:
    """The course project must import; an editable install points at examples/churn."""
    try:
        import churn
    except ImportError:
        return Check("FAIL", "the churn package is not importable",
                     'pip install -e ".[dev]" -e "./examples[test,pipeline,versioning,server,explain]"'
                     '  (or: make test)')
    return Check("OK", f"churn {churn.__version__} from {Path(churn.__file__).parent}")


# --8<-- [start:node]
def check_node(version_text: str | None) -> Check:
    """Node.js 20 or newer runs Marp CLI, which builds the slide decks."""
    if version_text is None:
        return Check("FAIL", "node not found", "install Node.js 20+ (nodejs.org, nvm, or your package manager)")
    major = int(version_text.strip().lstrip("v").split(".")[0])
    if major < MIN_NODE:
        return Check("FAIL", f"node {version_text.strip()} (need >= {MIN_NODE})", "install Node.js 20+")
    return Check("OK", f"node {version_text.strip()} (need >= {MIN_NODE})")


def check_node_package(name: str, root: Path = ROOT) -> Check:
    """A package that npm ci installed from package-lock.json, with its version."""
    manifest = root / "node_modules" / name / "package.json"
    if not manifest.is_file():
        return Check("WARN", f"{name} not in node_modules", "npm ci  (or: make serve)")
    return Check("OK", f"{name} {json.loads(manifest.read_text(encoding='utf-8'))['version']}")
# --8<-- [end:node]


def node_version() -> str | None:
    """``node --version``, or None when node is not on PATH."""
    node = shutil.which("node")
    if node is None:
        return None
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout


# --8<-- [start:port]
def check_port(port: int, purpose: str, host: str = "127.0.0.1") -> Check:
    """A port is free when we can bind it ourselves; then the server will be able to."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            return Check("WARN", f"port {port} is taken (needed by {purpose}): {error.strerror}",
                         f"find the owner with `lsof -i :{port}` or `ss -ltnp`, or use another port")
    return Check("OK", f"port {port} is free (needed by {purpose})")
# --8<-- [end:port]


def run_checks() -> list[Check]:
    """Every check, in the order a new machine is set up."""
    pins = pinned_packages()
    checks = [check_python(), check_venv(),
              check_pins(pins, {name: installed_version(name) for name in pins}), check_churn_package(),
              check_node(node_version()),
              check_node_package("@marp-team/marp-cli"), check_node_package("mermaid")]
    git = shutil.which("git")
    if git is None:
        checks.append(Check("FAIL", "git not found", "install Git (Windows: inside WSL, sudo apt install git)"))
    else:
        text = subprocess.run([git, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
        checks.append(Check("OK", text.strip()))
    checks += [check_port(port, purpose) for port, purpose in PORTS.items()]
    return checks


if __name__ == "__main__":
    results = run_checks()
    print("\n".join(check.line() for check in results))
    failed = sum(check.status == "FAIL" for check in results)
    warned = sum(check.status == "WARN" for check in results)
    print(f"\n{len(results)} checks: {failed} failed, {warned} warnings")
    sys.exit(1 if failed else 0)
