"""The ``course-build-helper`` MkDocs plugin: a faster build with the same output.

Listed just before ``mkdocs-jupyter`` in ``mkdocs.yml``, it:

1. defers jupytext and nbconvert when MkDocs creates it, before mkdocs-jupyter's module is
   imported (``imports``): a build that converts no notebook in its own process never imports them;
2. keeps compiled Jinja templates, the theme's and mkdocstrings', in ``.cache/jinja`` next to
   ``mkdocs.yml`` (``templates``): about 0.45 s of every build after the first;
3. hands a first build's one-time work to a helper process on the second core (``helper``):
   notebooks without a cache entry, and mkdocstrings' and the theme's templates. When the caches are empty (a
   fresh clone) the helper starts as soon as MkDocs creates the plugin, so its imports overlap
   with MkDocs loading; otherwise it starts when MkDocs knows the files and a notebook changed.
   The build waits for a notebook just before that page. ``COURSE_BUILD_HELPER=off`` switches
   the helper off (the build then does the work itself, as without this plugin); so does a
   machine that gives the build a single core.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from coursekit.buildhelper import notebooks, templates
from coursekit.buildhelper.helper import Helper
from coursekit.buildhelper.imports import NOTEBOOK_MODULES, defer

JUPYTER_PLUGIN = "mkdocs-jupyter"
MKDOCSTRINGS_PLUGIN = "mkdocstrings"
PYTHON_HANDLER = "python"


def available_cores() -> int:
    """How many CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class CourseBuildHelper(BasePlugin):
    """Deferred imports, a template cache, and a helper process for a first build's one-time work."""

    def __init__(self) -> None:
        super().__init__()
        for name in NOTEBOOK_MODULES:
            defer(name)
        # With one core the helper would only compete with the build for it.
        self.enabled = os.environ.get("COURSE_BUILD_HELPER", "on") != "off" and available_cores() > 1
        self.template_cache = Path(".cache") / "jinja"
        self.helper: Helper | None = None
        self.waiting: set[str] = set()

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> tuple[list, list]:
        """Find the template cache next to ``mkdocs.yml``; on a fresh clone, start the helper now."""
        result = super().load_config(options, config_file_path)
        if config_file_path:
            self.template_cache = Path(config_file_path).resolve().parent / ".cache" / "jinja"
        if self.enabled and (notebooks.cache_is_empty() or templates.cache_is_empty(self.template_cache)):
            self.helper = Helper.spawn()
        return result

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Send the helper its jobs: uncached notebooks; with an empty template cache, the templates."""
        if not self.enabled:
            return files
        jobs = self._notebook_jobs(files, config)
        if jobs and self.helper is None:
            self.helper = Helper.spawn()
        if self.helper is None:
            return files
        theme = handler = None
        if templates.cache_is_empty(self.template_cache):
            theme = templates.theme_job(config.theme, self.template_cache)
            mkdocstrings = config.plugins.get(MKDOCSTRINGS_PLUGIN)
            if mkdocstrings is not None:
                handler = templates.handler_job(mkdocstrings.config, config.theme, config.config_file_path,
                                                self.template_cache, PYTHON_HANDLER)
        if jobs or theme:
            self.helper.send(jobs, theme, handler)
        else:
            self.helper.dismiss()
        self.waiting = {job["src_path"] for job in jobs}
        return files

    def _notebook_jobs(self, files: Files, config: MkDocsConfig) -> list[dict[str, Any]]:
        jupyter = config.plugins.get(JUPYTER_PLUGIN)
        if jupyter is None:
            return []
        jobs = []
        for file in files:
            if not jupyter.should_include(file):
                continue
            cache_path = notebooks.expected_cache_path(jupyter.config, file.abs_src_path)
            if cache_path is not None and not cache_path.exists():
                jobs.append(notebooks.notebook_job(jupyter.config, file.abs_src_path, file.src_path, cache_path))
        return jobs

    def on_nav(self, nav: Any, config: MkDocsConfig, files: Files) -> Any:
        """Give mkdocstrings the template cache (its pages render after this event)."""
        plugin = config.plugins.get(MKDOCSTRINGS_PLUGIN)
        if plugin is not None:
            plugin.get_handler(PYTHON_HANDLER).env.bytecode_cache = templates.bytecode_cache(self.template_cache)
        return nav

    def on_pre_page(self, page: Page, config: MkDocsConfig, files: Files) -> Page:
        """Wait for the helper before a notebook it converts (mkdocs-jupyter converts when the page renders)."""
        if self.helper is not None and page.file.src_path in self.waiting:
            self.waiting.discard(page.file.src_path)
            self.helper.wait_for_notebook(page.file.src_path)
        return page

    def on_env(self, env: Environment, config: MkDocsConfig, files: Files) -> Environment:
        """Give the theme the template cache."""
        env.bytecode_cache = templates.bytecode_cache(self.template_cache)
        return env

    def on_post_build(self, config: MkDocsConfig) -> None:
        """Let the helper end (it is normally done long before the build)."""
        if self.helper is not None:
            self.helper.finish()
            self.helper = None

    def on_build_error(self, error: Exception) -> None:
        """Stop the helper when the build fails."""
        if self.helper is not None:
            self.helper.stop()
            self.helper = None
