"""Lecture 2.6: the branch, pull-request and tag habits of this repository, in a throw-away Git repo.

Run it from the repository root::

    python examples/lectures/s02/git_habits.py

It creates a temporary repository (deleted at the end), copies this repository's .gitignore into
it, and walks one change from a topic branch to a merged, tagged release. Your own Git settings
are not used and nothing in your checkout changes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Fixed names and dates make the commit ids the same on every run and every machine.
ENVIRONMENT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "Course Student", "GIT_AUTHOR_EMAIL": "student@example.com",
               "GIT_COMMITTER_NAME": "Course Student", "GIT_COMMITTER_EMAIL": "student@example.com",
               "GIT_AUTHOR_DATE": "2026-11-02T09:00:00+00:00", "GIT_COMMITTER_DATE": "2026-11-02T09:00:00+00:00"}

# --8<-- [start:release_flow]
RELEASE_FLOW = [
    "git init --quiet --initial-branch=main",
    "git add .gitignore README.md",
    "git commit --quiet -m 'Start the course repository'",
    "git switch --quiet -c lecture/2.6-git-basics",           # short-lived topic branch off main
    "git add docs/2.6-git-basics.md",
    "git commit --quiet -m 'Lecture 2.6: Git basics for MLOps'",
    "git switch --quiet main",                                  # the pull request is reviewed, CI is green ...
    "git merge --quiet --no-ff lecture/2.6-git-basics -m 'Merge pull request #26 from lecture/2.6-git-basics'",
    "git branch --quiet -d lecture/2.6-git-basics",             # ... merged, and the branch is deleted
    "git tag -a v2026.11.0 -m 'Course release 2026.11.0'",      # annotated: who, when, why
    "git tag quick-bookmark",                                   # lightweight: just a name for a commit
]
# --8<-- [end:release_flow]

# What the tools create in a checkout; the last one is data you generated yourself.
CANDIDATES = [".venv/bin/python", "node_modules/mermaid/package.json", "mlflow.db", "mlruns/1/meta.yaml",
              "site/index.html", "prediction_log.jsonl", "customers.csv"]


def git(repo: Path, command: str) -> str:
    """Run one git command line in ``repo`` with a neutral configuration; return its output."""
    result = subprocess.run(shlex.split(command), cwd=repo, capture_output=True, text=True, check=True,
                            env={**os.environ, **ENVIRONMENT}, timeout=60)
    return result.stdout.strip()


# --8<-- [start:ignored]
def ignore_rules(repo: Path, paths: list[str]) -> dict[str, str | None]:
    """For each path, the .gitignore rule that keeps it out of Git, or None if Git would track it."""
    # -v shows the matching rule, -n also lists paths no rule matches ("::" instead of a rule).
    result = subprocess.run(["git", "check-ignore", "-v", "-n", *paths], cwd=repo, capture_output=True,
                            text=True, check=False, env={**os.environ, **ENVIRONMENT}, timeout=60)
    rules = {}
    for line in result.stdout.splitlines():
        source, path = line.split("\t", 1)
        rules[path] = None if source == "::" else source.split(":", 2)[2]
    return rules
# --8<-- [end:ignored]


def build_demo_repo(repo: Path) -> None:
    """Create the demo repository in ``repo`` (an empty folder) by running the release flow."""
    shutil.copyfile(ROOT / ".gitignore", repo / ".gitignore")
    (repo / "README.md").write_text("# My MLOps course fork\n", encoding="utf-8")
    (repo / "docs").mkdir()
    (repo / "docs" / "2.6-git-basics.md").write_text("# Git basics for MLOps\n", encoding="utf-8")
    for command in RELEASE_FLOW:
        git(repo, command)


def main() -> None:
    """Build the demo repository, print what the lecture looks at, delete it."""
    with tempfile.TemporaryDirectory(prefix="git-habits-") as folder:
        repo = Path(folder)
        build_demo_repo(repo)
        print("History (git log --oneline --graph --decorate):")
        print(git(repo, "git log --oneline --graph --decorate"))
        print("\nTags (git tag -n1) and what kind of object each is (git cat-file -t):")
        for line in git(repo, "git tag -n1").splitlines():
            name = line.split()[0]
            print(f"  {line:<52} -> {git(repo, f'git cat-file -t {name}')}")
        (repo / "notes.txt").write_text("one more commit after the release\n", encoding="utf-8")
        git(repo, "git add notes.txt")
        git(repo, "git commit --quiet -m 'Work after the release'")
        print(f"\nAfter one more commit, git describe says: {git(repo, 'git describe')}")
        print("\nWhich generated files would Git track? (git check-ignore -v -n)")
        for path, rule in ignore_rules(repo, CANDIDATES).items():
            print(f"  {path:<36} {'ignored by ' + rule if rule else 'NOT ignored: would be committed'}")


if __name__ == "__main__":
    main()
