"""The helper's notebook job: mkdocs-jupyter's own conversion, written into the plugin's cache.

On a cache miss mkdocs-jupyter converts a notebook inside the build, between two pages: about
0.9 s for the course notebook (importing nbconvert and jupytext, the HTML export and a Markdown
pass for its table of contents), more when the notebook is executed. The helper process does the
same conversion with the same options and moves the result to the cache entry the plugin will
look for; when MkDocs reaches the page, mkdocs-jupyter finds a cache hit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import types
from pathlib import Path, PurePath
from typing import Any

#: mkdocs-jupyter's default cache folder (relative to the folder MkDocs runs in, as the plugin has it).
DEFAULT_CACHE_DIR = Path(".cache") / "mkdocs-jupyter"


class NotebookJobError(RuntimeError):
    """The helper could not produce the cache entry it was asked for."""


def cache_is_empty(cache_dir: Path = DEFAULT_CACHE_DIR) -> bool:
    """True when the notebook cache holds no entry: a fresh clone, or a cache someone emptied."""
    return not cache_dir.is_dir() or next(cache_dir.glob("*.json"), None) is None


def expected_cache_path(jupyter_config: Any, notebook: str) -> Path | None:
    """The cache entry mkdocs-jupyter reads for ``notebook``, or None when its cache is off.

    Args:
        jupyter_config: the ``mkdocs-jupyter`` plugin's configuration (as loaded by MkDocs).
        notebook: absolute path of the notebook source.
    """
    if not jupyter_config["cache"]:
        return None
    from mkdocs_jupyter.plugin import _compute_cache_key, _get_cache_path

    # The same rule as the plugin's: execute_ignore patterns switch execution off for a notebook.
    execute = jupyter_config["execute"] and not any(
        PurePath(notebook).match(pattern) for pattern in jupyter_config["execute_ignore"])
    return Path(_get_cache_path(jupyter_config["cache_dir"], _compute_cache_key(notebook, jupyter_config, execute)))


def notebook_job(jupyter_config: Any, notebook: str, src_path: str, cache_path: Path) -> dict[str, Any]:
    """The request the helper needs to convert one notebook.

    Args:
        jupyter_config: the ``mkdocs-jupyter`` plugin's configuration; the helper uses the same options.
        notebook: absolute path of the notebook source.
        src_path: the notebook's path inside ``docs/`` (mkdocs-jupyter matches its patterns on it).
        cache_path: the entry mkdocs-jupyter will look for (from :func:`expected_cache_path`).
    """
    return {"options": dict(jupyter_config), "notebook": notebook, "src_path": src_path,
            "cache_path": str(cache_path)}


def convert_into_cache(job: dict[str, Any]) -> Path:
    """Run mkdocs-jupyter's own page conversion and move its cache entry into place.

    The plugin converts and writes its cache entry when the page renders; here the page is a
    stand-in with the two attributes the plugin reads. The entry is written in a scratch folder
    and moved into the cache in one step, so a reader never sees half a file.
    """
    from mkdocs_jupyter.plugin import Plugin

    target = Path(job["cache_path"])
    with tempfile.TemporaryDirectory(prefix="course-notebook-") as scratch:
        plugin = Plugin()
        problems, _ = plugin.load_config({**job["options"], "cache": True, "cache_dir": scratch})
        if problems:
            raise NotebookJobError(f"mkdocs-jupyter options rejected: {problems}")
        plugin.on_pre_build(config=None)
        page = types.SimpleNamespace(
            file=types.SimpleNamespace(abs_src_path=job["notebook"], src_path=job["src_path"]), abs_url="")
        plugin.on_pre_page(page, config=None, files=None)
        page.render(None, None)
        produced = Path(scratch) / target.name
        if not produced.exists():
            raise NotebookJobError(f"mkdocs-jupyter wrote no cache entry named {target.name}: its cache key "
                                   "has changed, update coursekit.buildhelper.notebooks.expected_cache_path")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copyfile(produced, partial)
        os.replace(partial, target)
    return target
