"""Run the Marp CLI (pinned in ``package.json``) once for a whole set of decks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class MarpError(RuntimeError):
    """Marp is missing or failed; the message says how to fix it."""


def marp_command(root: Path) -> list[str]:
    """Return the command that starts the project's pinned Marp CLI.

    Raises:
        MarpError: If ``node_modules`` was not installed.
    """
    executable = root / "node_modules" / ".bin" / ("marp.cmd" if os.name == "nt" else "marp")
    if not executable.exists():
        raise MarpError(f"Marp CLI not found at {executable}; run 'npm ci' in {root} (make serve does it for you)")
    return [str(executable)]


def render(root: Path, decks: list[Path], theme: Path, *, pdf: bool = False, browser: str | None = None,
           input_dir: Path | None = None, output_dir: Path | None = None) -> None:
    """Convert deck Markdown files with ONE Marp process.

    HTML output is written next to each Markdown file (``1.2/index.md`` -> ``1.2/index.html``),
    unless ``output_dir`` is given.

    Args:
        root: Repository root (where ``node_modules`` lives).
        decks: The Markdown decks to convert.
        theme: The Marp theme CSS file.
        pdf: Export PDF instead of HTML (needs a Chromium; see ``browser``).
        browser: Path of a Chromium executable for PDF export.
        input_dir: With ``output_dir``: convert every deck under this folder, keeping its layout.
        output_dir: Where to write the output; defaults to next to each deck.

    Raises:
        MarpError: If Marp exits with an error; the message carries Marp's own output.
    """
    if not decks:
        return
    # Inputs come first: --theme-set takes an array and would swallow file names after it.
    options = ["--no-stdin", "--no-config-file", "--html", "--theme-set", str(theme)]
    command = marp_command(root)
    if pdf:
        options += ["--pdf", "--allow-local-files"]
        if browser:
            options += ["--browser", "chrome", "--browser-path", browser]
    if output_dir is not None:
        if input_dir is None:
            raise ValueError("output_dir needs input_dir")
        command += ["--input-dir", str(input_dir), "--output", str(output_dir)]
    else:
        command += [str(deck) for deck in decks]
    command += options
    env = {**os.environ, "BROWSER_TIMEOUT": os.environ.get("BROWSER_TIMEOUT", "60000")}
    if pdf and browser:
        env["CHROME_PATH"] = browser
        env.setdefault("MARP_CHROMIUM_ARGS", "--no-sandbox")
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=False)
    if result.returncode != 0:
        raise MarpError(f"Marp failed (exit {result.returncode}) running {' '.join(command)}:\n"
                        f"{result.stdout}{result.stderr}")


def find_chromium() -> str | None:
    """Return the path of a Chromium or Chrome executable on this machine, if there is one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None
