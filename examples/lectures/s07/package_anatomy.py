"""Lecture 7.1: what the churn package declares, and what a wheel built from it contains.

Two views of the same package:

1. with no argument, ``examples/pyproject.toml`` as written: the build backend, the console script,
   the default dependencies, the extras and the package discovery rule;
2. with a wheel (``python -m pip wheel --no-deps --wheel-dir DIR examples/`` makes one), what the
   build recorded: the files, the size, ``entry_points.txt`` and the ``Requires-Dist`` lines of
   ``METADATA`` grouped by their ``extra == ...`` marker, and whether any module of the wheel
   imports the course's own tools (it must not: the package ships without them).

The wheel is read with ``zipfile``; nothing is installed or imported from it. Run it from the
repository root::

    python examples/lectures/s07/package_anatomy.py [WHEEL]

Bad input (a missing file, a file that is not a wheel) gets one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2]
# What the package must never import: the course's site tools and its test suite live outside examples/.
COURSE_TOOLS = ("coursekit", "hooks", "tests")


class BadWheel(Exception):
    """A path that is not a readable wheel; the message names the file and what is wrong."""


@dataclass
class Anatomy:
    """What a package declares or a wheel records, in the same shape for both."""

    name: str
    version: str
    requires_python: str
    scripts: dict[str, str]
    dependencies: list[str]
    extras: dict[str, list[str]] = field(default_factory=dict)


# --8<-- [start:metadata]
EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def from_metadata(metadata: str, entry_points: str) -> Anatomy:
    """Parse a wheel's METADATA (an e-mail-style header block) and its entry_points.txt (INI)."""
    headers = Parser().parsestr(metadata, headersonly=True)
    dependencies, extras = [], {name: [] for name in headers.get_all("Provides-Extra") or []}
    for requirement in headers.get_all("Requires-Dist") or []:
        spec, _, marker = requirement.partition(";")
        extra = EXTRA_MARKER.search(marker)
        if extra:  # installed only with pip install "churn-mlops[<extra>]"
            extras.setdefault(extra.group(1), []).append(spec.strip())
        else:  # installed every time
            dependencies.append(spec.strip())
    points = configparser.ConfigParser(delimiters=("=",))
    points.optionxform = str  # keep the script names as written
    points.read_string(entry_points)
    scripts = dict(points["console_scripts"]) if points.has_section("console_scripts") else {}
    return Anatomy(headers["Name"], headers["Version"], headers.get("Requires-Python", ""), scripts,
                   dependencies, extras)


# --8<-- [end:metadata]


def from_pyproject(path: Path) -> tuple[Anatomy, dict]:
    """The same view from the source: ``[project]`` of a pyproject.toml, and its whole table."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadWheel(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise BadWheel(f"{path}: not valid TOML ({error})") from None
    project = document.get("project", {})
    anatomy = Anatomy(project.get("name", ""), project.get("version", ""), project.get("requires-python", ""),
                      dict(project.get("scripts", {})), list(project.get("dependencies", [])),
                      {name: list(reqs) for name, reqs in project.get("optional-dependencies", {}).items()})
    return anatomy, document


# --8<-- [start:boundary]
def imported_roots(source: str, filename: str) -> set[str]:
    """The top-level names a module imports (``import a.b`` and ``from a.b import c`` give ``a``)."""
    roots = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def course_tool_imports(modules: dict[str, str]) -> dict[str, set[str]]:
    """Each module (by file name) that imports one of COURSE_TOOLS, with the names it imports."""
    found = {}
    for filename, source in modules.items():
        bad = imported_roots(source, filename) & set(COURSE_TOOLS)
        if bad:
            found[filename] = bad
    return found


# --8<-- [end:boundary]


@dataclass
class Wheel:
    """A wheel on disk: its file names, sizes, metadata and Python sources."""

    path: Path
    files: list[str]
    size: int
    unpacked: int
    anatomy: Anatomy
    modules: dict[str, str]


def read_wheel(path: Path) -> Wheel:
    """Read a wheel without installing it; raise BadWheel naming the file for anything else."""
    if path.suffix != ".whl":
        raise BadWheel(f"{path}: not a wheel (the name must end in .whl, e.g. churn_mlops-0.1.0-py3-none-any.whl)")
    if not path.is_file():
        raise BadWheel(f"{path}: no such file; build one with: python -m pip wheel --no-deps --wheel-dir DIR examples/")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BadWheel(f"{path}: not a wheel (a wheel is a zip archive, and this file is not one)") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        names = [info.filename for info in infos]
        dist_info = sorted({name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")})
        if len(dist_info) != 1 or f"{dist_info[0]}/METADATA" not in names:
            raise BadWheel(f"{path}: not a wheel (no single *.dist-info/METADATA inside)")
        text = {name: archive.read(name).decode("utf-8") for name in names
                if name.endswith(".py") or name.startswith(dist_info[0])}
    entry_points = text.get(f"{dist_info[0]}/entry_points.txt", "")
    anatomy = from_metadata(text[f"{dist_info[0]}/METADATA"], entry_points)
    modules = {name: source for name, source in text.items() if name.endswith(".py")}
    return Wheel(path, names, path.stat().st_size, sum(info.file_size for info in infos), anatomy, modules)


def show(anatomy: Anatomy) -> None:
    """Print the part both views share: name, Python, console scripts, dependencies, extras."""
    print(f"  {anatomy.name} {anatomy.version}, Requires-Python {anatomy.requires_python}")
    for script, target in anatomy.scripts.items():
        print(f"  console script: {script} = {target}")
    names = ", ".join(re.split(r"[=<>!~ \[;]", requirement, maxsplit=1)[0] for requirement in anatomy.dependencies)
    pinned = sum("==" in requirement for requirement in anatomy.dependencies)
    print(f"  default install: {len(anatomy.dependencies)} requirements, {pinned} pinned with ==:")
    print(f"    {names}")
    for extra, requirements in anatomy.extras.items():
        print(f"  extra {extra + ':':<11} {', '.join(requirements)}")


def show_wheel(path: Path) -> None:
    """Print what a built wheel contains."""
    wheel = read_wheel(path)
    tops = sorted({name.split("/")[0] for name in wheel.files})
    size, unpacked = wheel.size / 1000, wheel.unpacked / 1000
    print(f"{path.name}: {len(wheel.files)} files, {size:.0f} kB ({unpacked:.0f} kB unpacked)")
    print(f"  top level: {', '.join(tops)}")
    show(wheel.anatomy)
    bad = course_tool_imports(wheel.modules)
    verdict = "none" if not bad else "; ".join(f"{name} imports {', '.join(sorted(b))}" for name, b in bad.items())
    print(f"  imports of course tools ({', '.join(COURSE_TOOLS)}) in {len(wheel.modules)} modules: {verdict}")


def show_pyproject(path: Path) -> None:
    """Print what the source declares."""
    anatomy, document = from_pyproject(path)
    build = document.get("build-system", {})
    find = document.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {})
    print(f"{path.relative_to(EXAMPLES.parent)}: build backend {build.get('build-backend')} "
          f"(requires {', '.join(build.get('requires', []))})")
    print(f"  packages: setuptools finds {find.get('include')}")
    show(anatomy)


def main(argv: list[str] | None = None) -> int:
    """Show the declaration (no argument) or a wheel (one argument); exit 2 with one error line for bad input."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("error: give at most one wheel, e.g. package_anatomy.py dist/churn_mlops-0.1.0-py3-none-any.whl",
              file=sys.stderr)
        return 2
    try:
        if args:
            show_wheel(Path(args[0]))
        else:
            show_pyproject(EXAMPLES / "pyproject.toml")
    except BadWheel as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
