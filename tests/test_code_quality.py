"""The project's own code stays ruff clean (the same rules pre-commit and CI apply)."""

from __future__ import annotations

import subprocess
import sys


def test_ruff_reports_no_problem(root):
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=root, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
