"""Third-party code on the pages uses only names that were checked against a stated version.

Lectures 5.3 (Great Expectations), 5.5 (Feast), 8.2 (Delta Lake, lakeFS), 8.3 (SageMaker, Vertex
AI) and 9.3 (Prefect, Airflow, Kubeflow Pipelines) show code of libraries the project does not
install. It is marked ``# pseudo-code`` and never
runs in the course tests, so it could rot unseen.
``tests/data/third_party_names.yaml`` lists, per package, the version the code was checked
against and every name the code uses (imports, calls and their keyword arguments); each was
verified by running the page's code in a throw-away virtual environment with that version. This
test reads the pages (nothing is installed or imported) and fails, naming file and line, when:

- a pseudo-code fence imports a third-party package that the data file does not cover;
- a fence uses a name, or a keyword argument, that is not listed for its package;
- a listed name is no longer used (the list must say what the pages use, no more);
- a page does not state the checked version as ``package==version``, or states another one.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "docs" / "course"
DATA = ROOT / "tests" / "data" / "third_party_names.yaml"
PACKAGES: dict[str, dict] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
LECTURES = sorted(path for path in COURSE.glob("*/*.md") if path.name != "index.md")
OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?:python|py)\b")
FIRST_PARTY = {"churn", "coursekit"}


def pseudo_code_fences(path: Path) -> list[tuple[int, str]]:
    """``(line of the fence's first code line, code)`` for every ``# pseudo-code`` Python fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fences, index = [], 0
    while index < len(lines):
        match = OPEN.match(lines[index])
        index += 1
        if not match:
            continue
        body, first = [], index + 1
        while index < len(lines) and lines[index].strip() != match.group("fence"):
            body.append(lines[index])
            index += 1
        index += 1
        code = textwrap.dedent("\n".join(body))
        if code.lstrip().startswith("# pseudo-code"):
            fences.append((first, code))
    return fences


def _chain(node: ast.AST, aliases: dict[str, str]) -> str:
    """A call target as dotted text, imported names resolved (``gx.f`` -> ``great_expectations.f``)."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return f"{_chain(node.value, aliases)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_chain(node.func, aliases)}()"
    return "?"


def used_names(code: str) -> list[tuple[int, str, str]]:
    """``(line in the code, package, name)`` for every import and call of a third-party package.

    A call is written ``target(keyword, ...)`` with its keyword arguments sorted; a call on an
    object the code made (``context.suites.add(...)``) counts for the package the code imports.
    Calls of builtins (``print``) and of the code's own functions (``rows()``) are not the package's;
    a method called on what such a function returns (``rows().set_retry(...)``) is.
    """
    tree = ast.parse(code)
    aliases: dict[str, str] = {}
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top
                found.append((node.lineno, alias.name.split(".")[0], f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                found.append((node.lineno, node.module.split(".")[0], f"from {node.module} import {alias.name}"))
    packages = {package for _, package, _ in found if package not in sys.stdlib_module_names | FIRST_PARTY}
    own = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _chain(node.func, aliases)
        root = target.split(".")[0]
        if root in sys.stdlib_module_names or target in own or target in dir(builtins):
            continue  # the standard library, a builtin such as print(), or a function the code defines
        package = root if root in packages else (next(iter(packages)) if len(packages) == 1 else "?")
        keywords = ", ".join(sorted(keyword.arg or "**" for keyword in node.keywords))
        found.append((node.lineno, package, f"{target}({keywords})"))
    return sorted((line, package, name) for line, package, name in found
                  if package not in sys.stdlib_module_names | FIRST_PARTY)


def _uses() -> dict[str, list[tuple[str, str]]]:
    """Per package, ``(file:line, name)`` for every use on every page."""
    uses: dict[str, list[tuple[str, str]]] = {}
    for path in LECTURES:
        for first, code in pseudo_code_fences(path):
            for line, package, name in used_names(code):
                uses.setdefault(package, []).append((f"{path.relative_to(ROOT)}:{first + line - 1}", name))
    return uses


USES = _uses()


def test_every_third_party_package_on_a_page_is_covered():
    unknown = {package: where for package, where in USES.items() if package not in PACKAGES}
    assert not unknown, "\n".join(
        f"{where[0][0]}: pseudo-code uses {package!r}, which {DATA.relative_to(ROOT)} does not cover: check the code "
        f"against a pinned version in a throw-away venv and list its names there" for package, where in unknown.items())


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_pages_use_only_checked_names(package):
    checked = set(PACKAGES[package]["names"])
    version = PACKAGES[package]["version"]
    wrong = [f"{where}: {name} was not checked against {package}=={version}; run the page's code in a throw-away "
             f"venv with that version and add the name to {DATA.relative_to(ROOT)}"
             for where, name in USES.get(package, []) if name not in checked]
    assert not wrong, "\n".join(wrong)
    unused = checked - {name for _, name in USES.get(package, [])}
    assert not unused, f"{DATA.relative_to(ROOT)}: {package} lists names no page uses any more: {sorted(unused)}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_pages_state_the_checked_version(package):
    version = PACKAGES[package]["version"]
    distribution = PACKAGES[package].get("distribution", package)  # what pip installs, when not the import name
    pages = {where.rsplit(":", 1)[0] for where, _ in USES.get(package, [])}
    assert pages, f"no page uses {package} any more: remove it from {DATA.relative_to(ROOT)}"
    for page in sorted(pages):
        text = (ROOT / page).read_text(encoding="utf-8")
        stated = set(re.findall(rf"(?<![\w-]){re.escape(distribution)}==([\w.]+)", text))
        assert stated == {version}, (f"{page}: say which version the {package} code was checked against, as "
                                     f"`{distribution}=={version}` (the page states {sorted(stated) or 'none'})")


def test_the_name_reader_resolves_imports_calls_and_keywords():
    code = ("# pseudo-code\nimport great_expectations as gx\nfrom datetime import timedelta\n"
            "context = gx.get_context()\nsuite = context.suites.add(gx.ExpectationSuite(name='s'))\n"
            "delay = timedelta(days=1)\n")
    assert [name for _, _, name in used_names(code)] == [
        "import great_expectations", "great_expectations.get_context()",
        "context.suites.add()", "great_expectations.ExpectationSuite(name)"]
    own = ("# pseudo-code\nfrom kfp import dsl\n@dsl.component\ndef rows() -> list:\n    return list(range(3))\n"
           "print(rows().set_retry(num_retries=2))\n")
    assert [name for _, _, name in used_names(own)] == ["from kfp import dsl", "rows().set_retry(num_retries)"]


@pytest.mark.parametrize("package", sorted(name for name, entry in PACKAGES.items() if "commands" in entry))
def test_the_pages_run_only_checked_commands(package):
    """A command of the package's CLI quoted on a page (`feast apply`) is one that was checked."""
    checked = set(PACKAGES[package]["commands"])
    wrong = [f"{path.relative_to(ROOT)}:{number}: `{package} {command}` was not checked against {package}=="
             f"{PACKAGES[package]['version']}; check it and add it to the commands in {DATA.relative_to(ROOT)}"
             for path in LECTURES
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             for command in re.findall(rf"`{re.escape(package)} ([a-z][\w-]*)", line) if command not in checked]
    assert not wrong, "\n".join(wrong)
