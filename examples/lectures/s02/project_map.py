"""Lecture 2.4: print the map of this repository from the repository itself.

Run it from the repository root::

    python examples/lectures/s02/project_map.py

It lists what Git tracks, folder by folder, then what is on disk but deliberately not in Git,
then every module of the churn package with the first line of its docstring.
"""

from __future__ import annotations

import ast
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Made by the tools, never committed: .gitignore lists them (lecture 2.6).
GENERATED = (".venv", "node_modules", ".cache", "site", "dist", "mlflow.db", "mlruns", "prediction_log.jsonl")


def tracked_files(root: Path = ROOT) -> list[str]:
    """The files Git tracks (``git ls-files``); every file on disk when this is not a Git checkout."""
    try:
        result = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True,
                                timeout=30)
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", *GENERATED, "__pycache__"}
        return sorted(path.relative_to(root).as_posix() for path in root.rglob("*")
                      if path.is_file() and not skip & set(path.relative_to(root).parts))
    return sorted(line for line in result.stdout.splitlines() if line)


# --8<-- [start:top_level]
def top_level(files: list[str]) -> list[tuple[str, int]]:
    """(entry, number of tracked files under it) for every top-level folder or file, folders first."""
    counts = Counter(path.split("/", 1)[0] + ("/" if "/" in path else "") for path in files)
    return sorted(counts.items(), key=lambda item: (not item[0].endswith("/"), item[0].lower()))
# --8<-- [end:top_level]


# --8<-- [start:module_summary]
def module_summary(path: Path) -> str:
    """The first line of a module's docstring: each churn module says in one line what it is for."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return docstring.splitlines()[0] if docstring else "(no docstring)"
# --8<-- [end:module_summary]


def main() -> None:
    """Print the map."""
    print("Tracked by Git, by top-level entry (files under it):")
    for entry, count in top_level(tracked_files()):
        print(f"  {entry:<26} {count:>3}" if entry.endswith("/") else f"  {entry}")
    present = [name for name in GENERATED if (ROOT / name).exists()]
    print(f"\nOn disk but not in Git (made by the tools): {', '.join(present) or 'none yet'}")
    print("\nThe churn package, examples/churn/ (first line of each module's docstring):")
    package = ROOT / "examples" / "churn"
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name != "__init__.py":
            print(f"  {name:<28} {module_summary(path)}")


if __name__ == "__main__":
    main()
