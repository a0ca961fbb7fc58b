"""Deck conversion off the critical path while ``mkdocs serve`` runs.

During ``serve`` the page should reload as soon as the site is rebuilt; converting the edited
lecture's deck takes about a second of Marp start-up. The hook therefore copies the decks it
already has into the fresh site at once and hands the conversion of changed decks to one
background worker, which copies the new HTML in when it is done. A newer request replaces a
waiting one, so a burst of saves converts once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from coursekit.course import Course
from coursekit.slides.build import build_decks, publish_decks
from coursekit.slides.marp import MarpError

log = logging.getLogger("mkdocs.hooks.course")


@dataclass(frozen=True)
class _Job:
    course: Course
    cache_dir: Path
    theme: Path
    site_dir: Path


class BackgroundDecks:
    """One worker thread that builds decks for the latest request only."""

    def __init__(self) -> None:
        self.enabled = False
        self._lock = threading.Lock()
        self._pending: _Job | None = None
        self._worker: threading.Thread | None = None
        self.finished = threading.Event()

    def submit(self, course: Course, cache_dir: Path, theme: Path, site_dir: Path) -> None:
        """Ask for the decks of ``course`` to be built and published into ``site_dir``."""
        with self._lock:
            self._pending = _Job(course, cache_dir, theme, site_dir)
            self.finished.clear()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="course-decks", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self.finished.set()
                    return
            started = time.perf_counter()
            try:
                build = build_decks(job.course, job.cache_dir, job.theme)
                publish_decks(build, job.site_dir)
            except (MarpError, OSError) as error:
                log.error("decks could not be built: %s", error)
                continue
            log.info("decks: %d converted, %d total, %.2f s (in the background)", len(build.converted),
                     len(build.html), time.perf_counter() - started)


WORKER = BackgroundDecks()
