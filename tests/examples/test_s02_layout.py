"""Section 2 (lecture 2.4 and the whole section): the project map, and every repository path a page names exists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = ROOT / "docs" / "course" / "02-tools-and-setup"
PAGES = sorted(SECTION.glob("2.*.md"))
SCRIPT = ROOT / "examples" / "lectures" / "s02" / "project_map.py"
spec = importlib.util.spec_from_file_location("s02_project_map", SCRIPT)
project_map = importlib.util.module_from_spec(spec)
spec.loader.exec_module(project_map)

GENERATED = set(project_map.GENERATED) | {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
TOP_LEVEL = {path.name for path in ROOT.iterdir()} - GENERATED
PLACEHOLDER = re.compile(r"[*<>{}$]|NN|\.\.\.")


def page_paths(text: str, with_text_fences: bool) -> list[str]:
    """Inline code spans (and, optionally, words of ```text fences) that name something in this repository."""
    candidates = re.findall(r"`([^`\s]+)`", text)
    if with_text_fences:
        for fence in re.findall(r"```text[^\n]*\n(.*?)\n```", text, flags=re.S):
            candidates += fence.split()
    paths = []
    for candidate in candidates:
        path = candidate.rstrip(".,;:)").removeprefix("./")
        if PLACEHOLDER.search(path):
            continue
        if path.split("/")[0] in TOP_LEVEL or re.fullmatch(r"[a-z_]+\.py", path):
            paths.append(path)
    return paths


def test_the_section_has_its_eight_lectures():
    assert [page.name.split("-")[0] for page in PAGES] == [f"2.{n}" for n in range(1, 9)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_repository_path_a_page_names_exists(page):
    text = page.read_text(encoding="utf-8")
    missing = []
    for path in page_paths(text, with_text_fences=page.name.startswith("2.4")):
        if "/" not in path and path.endswith(".py"):
            found = any((ROOT / "examples").rglob(path))  # a module named on its own: churn/ or a lecture script
        else:
            found = (ROOT / path.rstrip("/")).exists()
        if not found:
            missing.append(path)
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def test_the_generated_folders_of_lecture_2_4_are_the_ones_gitignore_lists():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()}
    for name in (".venv", "node_modules", "site", ".cache", "mlflow.db", "mlruns"):
        assert name in ignored
        assert name in project_map.GENERATED


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_pasted_excerpts_match_the_files_they_name(page):
    """A fence titled with a repository file (Makefile, pyproject.toml) must quote that file exactly."""
    text = page.read_text(encoding="utf-8")
    for title, body in re.findall(r'```\w+ title="([^"]+)"\n(.*?)\n```', text, flags=re.S):
        source = ROOT / title
        if "--8<--" in body or not source.is_file():
            continue
        lines = {line.strip() for line in source.read_text(encoding="utf-8").splitlines()}
        quoted = [line.strip() for line in body.splitlines() if line.strip()]
        assert quoted, title
        assert [line for line in quoted if line not in lines] == [], f"{page.name}: excerpt of {title} is stale"


def test_top_level_groups_and_counts():
    files = ["a/b.py", "a/c.py", "README.md", "b/x/y.txt"]
    assert project_map.top_level(files) == [("a/", 2), ("b/", 1), ("README.md", 1)]


def test_tracked_files_use_git_and_fall_back_to_the_disk(tmp_path):
    tracked = project_map.tracked_files()
    assert "Makefile" in tracked and "examples/churn/cli.py" in tracked
    assert not any(path.startswith((".venv/", "node_modules/", "site/")) for path in tracked)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "mlflow.db").write_text("", encoding="utf-8")
    assert project_map.tracked_files(tmp_path) == ["pkg/mod.py"]


def test_module_summary_is_the_first_docstring_line(tmp_path):
    assert project_map.module_summary(ROOT / "examples" / "churn" / "contract.py") == (
        "The data contract of the churn project.")
    bare = tmp_path / "bare.py"
    bare.write_text("x = 1\n", encoding="utf-8")
    assert project_map.module_summary(bare) == "(no docstring)"


def test_project_map_prints_every_churn_module():
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=True,
                            timeout=120)
    assert re.search(r"^  examples/ +\d+$", result.stdout, flags=re.M)
    modules = sorted(path.relative_to(ROOT / "examples" / "churn").as_posix()
                     for path in (ROOT / "examples" / "churn").rglob("*.py") if path.name != "__init__.py"
                     or path.parent.name == "service")
    for module in modules:
        assert re.search(rf"^  {re.escape(module)} +\S", result.stdout, flags=re.M), module
    assert "service/settings.py          Service settings, read from ``CHURN_*`` environment variables" in result.stdout
