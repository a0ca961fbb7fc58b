"""What the lab tests share: a lecture's lab steps and output blocks, read from its page, and a bash
session that runs the steps as a student runs them.

A student's shell has the project's ``churn`` on the PATH and no ``MLFLOW_*`` or ``CHURN_*``
variables; the session has the same, with ``churn`` as this interpreter's ``python -m churn.cli``
(so the test runs the checkout it is testing) and ``TMPDIR`` inside a pytest folder (so ``mktemp -d``
makes the lab's scratch folder where the test can find it). The session runs in a process group of
its own: a server a failed step left behind goes with it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.examples.real_servers import free_port

__all__ = ["ROOT", "LecturePage", "as_pattern", "fences", "free_port", "run_session", "scratch_folder",
           "student_env"]

ROOT = Path(__file__).resolve().parents[2]


def fences(text: str, language: str) -> list[str]:
    """The bodies of the ```language fences in ``text``, dedented (lab steps are indented by four spaces)."""
    pattern = re.compile(rf"^( *)```{language}[^\n]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent) :] for line in body.splitlines()) for indent, body in pattern.findall(text)]


def as_pattern(line: str) -> re.Pattern[str]:
    """A page line as a regular expression: ``…`` stands for any text."""
    return re.compile(".+".join(re.escape(part) for part in line.split("…")))


@dataclass(frozen=True)
class LecturePage:
    """One lecture's Markdown file, e.g. ``LecturePage.of("6.6")``."""

    path: Path

    @classmethod
    def of(cls, lecture: str) -> LecturePage:
        """The page of lecture ``lecture`` ("6.6" is docs/course/06-*/6.6-*.md)."""
        section = lecture.split(".")[0]
        matches = sorted((ROOT / "docs/course").glob(f"{int(section):02d}-*/{lecture}-*.md"))
        assert len(matches) == 1, f"lecture {lecture}: expected one page, found {matches}"
        return cls(matches[0])

    @property
    def name(self) -> str:
        """The file name, for assertion messages."""
        return self.path.name

    @property
    def text(self) -> str:
        """The page's Markdown."""
        return self.path.read_text(encoding="utf-8")

    def section(self, heading: str) -> str:
        """The text of the ``## heading...`` section, up to the next ``##`` heading."""
        text = self.text
        start = text.find(f"\n## {heading}")
        assert start >= 0, f"{self.name} has no section '## {heading}'"
        end = text.find("\n## ", start + 1)
        return text[start:] if end < 0 else text[start:end]

    def steps(self, heading: str = "Lab", language: str = "bash") -> list[str]:
        """The ```language fences of section ``heading``, in page order: the lab's steps."""
        found = fences(self.section(heading), language)
        assert found, f"{self.name}: section '## {heading}' has no ```{language} fence"
        return found

    def output_block(self, title: str, *, prefix: bool = False) -> list[str]:
        """The lines of the ```text fence titled ``title`` (with ``prefix``, whose title starts so)."""
        rest = '[^"]*' if prefix else ""
        match = re.search(rf'^( *)```text title="{re.escape(title)}{rest}"\n(.*?)^\1```', self.text,
                          re.MULTILINE | re.DOTALL)
        assert match, f"{self.name} has no output block titled {title!r}"
        return [line[len(match.group(1)) :] for line in match.group(2).splitlines()]


def student_env(base: Path, *, drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """A student's environment: ``churn`` on the PATH, no MLFLOW_*/CHURN_* variables, TMPDIR=``base``.

    The ``churn`` command is a shim in ``base/bin`` that runs this interpreter's ``churn.cli``;
    this interpreter's folder follows on the PATH, so ``python`` is the one running the tests.
    ``drop`` names more variables to leave out, by prefix (``("POSTGRES_", "PYTHONPATH")``);
    ``extra`` variables are set last.
    """
    shim = base / "bin" / "churn"
    if not shim.exists():
        shim.parent.mkdir(parents=True, exist_ok=True)
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m churn.cli "$@"\n', encoding="utf-8")
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MLFLOW_", "CHURN_", *drop))}
    path = os.pathsep.join([str(shim.parent), str(Path(sys.executable).parent), env.get("PATH", "")])
    return env | {"PATH": path, "TMPDIR": str(base)} | extra


def run_session(script: str, base: Path, *, cwd: Path = ROOT, timeout: float = 600,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in one bash session, as a student types the steps, in ``student_env(base)``.

    The session has a process group of its own, killed when it ends (or times out), so a server a
    step started in the background cannot outlive the test. What it printed is also kept in
    ``base/lab-output.txt``, to read when a test fails.
    """
    process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env or student_env(base),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        if process.poll() is None:
            process.kill()
            stdout, stderr = process.communicate()
    (base / "lab-output.txt").write_text(f"{stdout}\n--- stderr ---\n{stderr}", encoding="utf-8")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def scratch_folder(base: Path, marker: str) -> Path:
    """The one folder under ``base`` holding ``marker`` (e.g. ``mlflow.db``): the lab's ``mktemp -d``."""
    folders = sorted({path.parent for path in base.glob(f"*/{marker}")})
    assert len(folders) == 1, f"the lab makes one scratch folder holding {marker}: found {folders}"
    return folders[0]
