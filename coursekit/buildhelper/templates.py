"""Compiled Jinja templates kept between builds, and the helper's job of compiling the theme's.

Jinja compiles every template a build uses (Material's 43 and mkdocstrings' 36: about 0.45 s)
unless it finds the compiled code in a bytecode cache, where it checks each template's source
checksum before reuse. The ``course-build-helper`` plugin gives the theme and mkdocstrings a
cache in ``.cache/jinja``. On a first build the helper process fills it with the theme's
templates, compiled in an environment made by MkDocs' own ``Theme.get_env`` from the same
folders and locale, so the compiled code is the same as the build's (a test compares the bytes).
"""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, TemplateError

#: Theme folders the helper does not compile: icons are SVG files, not templates.
SKIPPED_FOLDERS = {".icons"}
#: Material keeps one template per language here; only the site's language is rendered.
LANGUAGE_FOLDER = "partials/languages/"


def bytecode_cache(folder: Path) -> FileSystemBytecodeCache:
    """A Jinja bytecode cache in ``folder`` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(str(folder))


def cache_is_empty(folder: Path) -> bool:
    """True when the template cache holds no compiled template."""
    return not folder.is_dir() or next(folder.glob("__jinja2_*.cache"), None) is None


def theme_job(theme: Any, cache_dir: Path) -> dict[str, Any]:
    """The request the helper needs to compile the theme's templates.

    Args:
        theme: the MkDocs theme (``config.theme``).
        cache_dir: the bytecode cache folder the build uses.
    """
    return {"dirs": [str(folder) for folder in theme.dirs], "locale": str(theme.locale),
            "language": str(theme.get("language") or theme.locale), "cache_dir": str(cache_dir)}


def theme_template_names(dirs: list[str], language: str) -> list[str]:
    """The HTML templates of the theme folders, without icons and other languages' partials."""
    names: set[str] = set()
    for folder in dirs:
        for current, subfolders, filenames in os.walk(folder):
            subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS)
            relative = Path(current).relative_to(folder).as_posix()
            prefix = "" if relative == "." else relative + "/"
            for filename in filenames:
                name = prefix + filename
                if not filename.endswith(".html"):
                    continue
                if name.startswith(LANGUAGE_FOLDER) and name != f"{LANGUAGE_FOLDER}{language}.html":
                    continue
                names.add(name)
    return sorted(names)


def theme_environment(dirs: list[str], locale: str) -> Environment:
    """The theme's Jinja environment, made by MkDocs' own ``Theme.get_env`` from its folders and locale."""
    from mkdocs import localization
    from mkdocs.theme import Theme

    return Theme.get_env(types.SimpleNamespace(dirs=dirs, locale=localization.parse_locale(locale)))


def compile_into_cache(job: dict[str, Any]) -> int:
    """Compile the theme's templates into the bytecode cache (the helper's job); returns how many.

    A template already in the cache with the same source is loaded, not compiled again. A template
    that needs what a plugin adds (Material's blog templates use the blog plugin's ``date`` filter)
    does not compile here and is skipped: the build compiles it if it uses it.
    """
    env = theme_environment(job["dirs"], job["locale"])
    env.bytecode_cache = bytecode_cache(Path(job["cache_dir"]))
    compiled = 0
    for name in theme_template_names(job["dirs"], job["language"]):
        try:
            env.get_template(name)
        except TemplateError:
            continue
        compiled += 1
    return compiled
