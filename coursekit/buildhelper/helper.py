"""A helper process that does a first build's one-time work on the second core while MkDocs builds.

A build is one process on one core; an ordinary laptop has at least two. On a first build (a
fresh clone, or after an edit to the notebook) the ``course-build-helper`` plugin hands its jobs
to this helper: converting the notebooks that have no cache entry (``notebooks``), then compiling
mkdocstrings' templates (``handler``) and the theme's (``theme``) into the template cache. Each job
writes exactly what the build would have written itself; the build then finds cache hits. Nothing
depends on the helper: if it fails or is late, the build does the work itself, and a failing
notebook is reported by the build's own conversion.

The helper is ``python -m coursekit.buildhelper.helper``. It imports mkdocs-jupyter at once (the
slow part), then reads one JSON request on standard input: ``{"notebooks": [...], "handler":
{...} or null, "theme": {...} or null}``; an empty input means there is nothing to do. After
each notebook it writes one JSON line on standard output, ``{"notebook": src_path, "ok": true|false,
"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

log = logging.getLogger("mkdocs.plugins.course_build_helper")


@dataclass
class Helper:
    """The build's handle on a helper process."""

    process: subprocess.Popen
    errors: IO[str] = field(repr=False)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def spawn(cls) -> Helper:
        """Start a helper process; it imports what it needs, then waits for its request."""
        errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115  (closed by finish or stop)
        process = subprocess.Popen([sys.executable, "-m", "coursekit.buildhelper.helper"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8")
        return cls(process, errors)

    def send(self, notebook_jobs: list[dict[str, Any]], theme_job: dict[str, Any] | None,
             handler_job: dict[str, Any] | None = None) -> None:
        """Give the helper its jobs (from ``notebooks.notebook_job``, ``templates.theme_job`` and
        ``templates.handler_job``)."""
        self._close_input(json.dumps({"notebooks": notebook_jobs, "handler": handler_job, "theme": theme_job}))

    def dismiss(self) -> None:
        """Tell the helper there is nothing to do; it exits."""
        self._close_input("")

    def _close_input(self, text: str) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # the helper died already; the build does the work
            self.process.stdin.write(text)
            self.process.stdin.close()

    def wait_for_notebook(self, src_path: str) -> bool:
        """Wait until the helper has converted ``src_path``. True if it did; otherwise logs why not."""
        assert self.process.stdout is not None
        while src_path not in self.results:
            line = self.process.stdout.readline()
            if not line:
                break
            with contextlib.suppress(ValueError, KeyError, TypeError):
                result = json.loads(line)
                self.results[result["notebook"]] = result
        result = self.results.get(src_path)
        if result is not None and result["ok"]:
            log.debug("notebook converted by the build helper: %s", src_path)
            return True
        reason = result["error"] if result is not None else f"helper ended: {self._last_error_line()}"
        log.info("the build helper did not convert %s (%s); converting it in the build instead", src_path, reason)
        return False

    def _error_lines(self) -> list[str]:
        if self.errors.closed:
            return []
        self.errors.flush()
        self.errors.seek(0)
        return self.errors.read().strip().splitlines()

    def _last_error_line(self) -> str:
        lines = self._error_lines()
        return lines[-1] if lines else "no message"

    def finish(self, timeout: float = 30) -> None:
        """Let the helper end its work (it is normally done long before the build); stop it after ``timeout`` s."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.info("the build helper took over %s s; stopped", timeout)
        else:
            failed = [line for line in self._error_lines() if " job failed: " in line]
            if self.process.returncode != 0 or failed:
                log.info("the build helper ended with exit %s (%s); the build did that work itself",
                         self.process.returncode, "; ".join(failed) or self._last_error_line())
        self.stop()

    def stop(self) -> None:
        """Stop the helper if it is still running, and close its pipes."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()
        self.errors.close()


def run(request: dict[str, Any], report: IO[str]) -> None:
    """Do the jobs of one request: notebooks first (the build waits for them), then templates."""
    from coursekit.buildhelper import notebooks, templates

    for job in request.get("notebooks") or []:
        try:
            notebooks.convert_into_cache(job)
            result = {"notebook": job["src_path"], "ok": True}
        except Exception as error:  # reported; the build converts the page itself and shows the real error
            first_line = (str(error).strip().splitlines() or [""])[0]
            result = {"notebook": job["src_path"], "ok": False, "error": f"{type(error).__name__}: {first_line}"}
        print(json.dumps(result), file=report, flush=True)
    # mkdocstrings renders the API reference before the theme renders any page.
    for kind, compile_templates in (("handler", templates.compile_handler), ("theme", templates.compile_theme)):
        if not request.get(kind):
            continue
        try:
            compile_templates(request[kind])
        except Exception as error:  # the build compiles what it needs itself
            print(f"{kind} job failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


def main() -> int:
    """Entry point of the helper process (see the module's docstring)."""
    # Reports go to the original standard output; anything else written there (by a library, or a
    # notebook's kernel manager) goes to standard error, so the build never reads a stray line.
    report = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import mkdocs_jupyter.plugin  # noqa: F401  (the slow import: done while the build is still loading)

    text = sys.stdin.read()
    with report:
        if text.strip():
            run(json.loads(text), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
