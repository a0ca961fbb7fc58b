"""Shared fixtures: the repository root and a throw-away course tree for bad-input tests."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GOOD_FRONT_MATTER = """\
---
id: "1.1"
title: "A lecture"
duration: 10
objectives:
  - Explain what the lecture is about
  - Compare two ways of doing it
---
"""


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture
def course_tree(tmp_path: Path) -> Callable[..., Path]:
    """Build a minimal course (course.yml, examples, lectures, quizzes) in a temp dir.

    Call it with ``{"docs/course/01-big-picture/1.1-x.md": "...", ...}``; returns the root.
    """

    made = []

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / f"course{len(made)}"
        made.append(root)
        (root / "docs" / "course").mkdir(parents=True)
        (root / "quizzes").mkdir()
        shutil.copyfile(ROOT / "course.yml", root / "course.yml")
        shutil.copytree(ROOT / "examples" / "churn", root / "examples" / "churn")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Run the strict MkDocs build once per test session; return the site directory."""
    import os
    import subprocess
    import sys

    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NBCONVERT_DISABLE_CONFIG_EXPORTERS": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"strict build failed:\n{result.stdout}\n{result.stderr}"
    return site
