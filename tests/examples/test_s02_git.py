"""Section 2 (lecture 2.6): topic branch, merged pull request, annotated tag, and what .gitignore keeps out."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "lectures" / "s02" / "git_habits.py"
spec = importlib.util.spec_from_file_location("s02_git_habits", SCRIPT)
habits = importlib.util.module_from_spec(spec)
spec.loader.exec_module(habits)


@pytest.fixture
def repo(tmp_path) -> Path:
    habits.build_demo_repo(tmp_path)
    return tmp_path


def test_the_topic_branch_is_merged_with_a_merge_commit_and_deleted(repo):
    assert habits.git(repo, "git branch --format=%(refname:short)") == "main"
    merges = habits.git(repo, "git log --merges --format=%s").splitlines()
    assert merges == ["Merge pull request #26 from lecture/2.6-git-basics"]
    assert habits.git(repo, "git rev-list --count HEAD") == "3"


def test_annotated_and_lightweight_tags_differ(repo):
    assert habits.git(repo, "git cat-file -t v2026.11.0") == "tag"
    assert habits.git(repo, "git cat-file -t quick-bookmark") == "commit"
    annotated = habits.git(repo, "git cat-file -p v2026.11.0")
    assert "tagger Course Student <student@example.com>" in annotated and "Course release 2026.11.0" in annotated
    assert habits.git(repo, "git rev-parse v2026.11.0^{commit}") == habits.git(repo, "git rev-parse HEAD")


def test_describe_counts_commits_since_the_release(repo):
    assert habits.git(repo, "git describe") == "v2026.11.0"
    (repo / "notes.txt").write_text("more\n", encoding="utf-8")
    habits.git(repo, "git add notes.txt")
    habits.git(repo, "git commit --quiet -m more")
    described = habits.git(repo, "git describe")
    assert described.startswith("v2026.11.0-1-g")
    assert habits.git(repo, "git rev-parse HEAD").startswith(described.rsplit("-g", 1)[1])


def test_commit_ids_are_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    habits.build_demo_repo(first)
    habits.build_demo_repo(second)
    assert habits.git(first, "git rev-parse HEAD") == habits.git(second, "git rev-parse HEAD")


def test_gitignore_keeps_tool_output_out_but_not_your_data(repo):
    rules = habits.ignore_rules(repo, habits.CANDIDATES)
    assert rules[".venv/bin/python"] == ".venv/"
    assert rules["node_modules/mermaid/package.json"] == "node_modules/"
    assert rules["mlflow.db"] == "mlflow.db"
    assert rules["mlruns/1/meta.yaml"] == "mlruns/"
    assert rules["site/index.html"] == "site/"
    assert rules["customers.csv"] is None, "generated data is not ignored: write it outside the repository"


def test_git_habits_script_output():
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=True,
                            timeout=120)
    assert "(HEAD -> main, tag: v2026.11.0, tag: quick-bookmark) Merge pull request #26" in result.stdout
    assert "git describe says: v2026.11.0-1-g" in result.stdout
    assert "customers.csv                        NOT ignored: would be committed" in result.stdout
