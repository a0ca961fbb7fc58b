"""Compiled Jinja templates kept between builds, and the helper's jobs of compiling them.

Jinja compiles every template a build uses (Material's 43 and mkdocstrings' 36: about 0.45 s)
unless it finds the compiled code in a bytecode cache, where it checks each template's source
checksum before reuse. The ``course-build-helper`` plugin gives the theme and mkdocstrings a
cache in ``.cache/jinja``. On a first build the helper process fills it, compiling each template
in an environment made the way the build makes it: the theme's by MkDocs' own ``Theme.get_env``
from the same folders and locale, mkdocstrings' by the Python handler's own ``get_handler`` and
``update_env`` with the same handler options. A test builds the site and checks that the build
compiled every template to the same code as the helper.
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


def handler_job(mkdocstrings_config: Any, theme: Any, config_file_path: str, cache_dir: Path,
                handler: str) -> dict[str, Any]:
    """The request the helper needs to compile the templates of mkdocstrings' Python handler.

    Args:
        mkdocstrings_config: the ``mkdocstrings`` plugin's configuration (``handlers``, ``custom_templates``).
        theme: the MkDocs theme (``config.theme``); mkdocstrings picks its templates by the theme's name.
        config_file_path: the path of ``mkdocs.yml`` (the handler resolves its ``paths`` from there).
        cache_dir: the bytecode cache folder the build uses.
        handler: the handler's name.
    """
    return {"handler": handler, "handler_config": dict(mkdocstrings_config["handlers"].get(handler, {})),
            "custom_templates": mkdocstrings_config["custom_templates"], "theme": theme.name,
            "config_file_path": config_file_path, "cache_dir": str(cache_dir)}


def handler_environment(job: dict[str, Any]) -> Environment:
    """The handler's Jinja environment, made by the handler's own ``get_handler`` and ``update_env``.

    mkdocstrings adds the ``highlight`` filter and calls ``update_env`` when it renders the first
    object; the same is done here, with a plain Markdown instance (compiled code does not depend on it).
    """
    import importlib

    from markdown import Markdown
    from mkdocstrings import Highlighter

    module = importlib.import_module(f"mkdocstrings_handlers.{job['handler']}")
    handler = module.get_handler(handler_config=job["handler_config"],
                                 tool_config=types.SimpleNamespace(config_file_path=job["config_file_path"]),
                                 theme=job["theme"], custom_templates=job["custom_templates"], mdx=[], mdx_config={})
    handler.env.filters["highlight"] = Highlighter(Markdown()).highlight
    handler.update_env(None)
    return handler.env


def _compile_all(env: Environment, names: list[str], cache_dir: str) -> int:
    """Compile ``names`` into the bytecode cache; returns how many compiled.

    A template already in the cache with the same source is loaded, not compiled again. A template
    that needs what a plugin adds (Material's blog templates use the blog plugin's ``date`` filter)
    does not compile here and is skipped: the build compiles it if it uses it.
    """
    env.bytecode_cache = bytecode_cache(Path(cache_dir))
    compiled = 0
    for name in names:
        try:
            env.get_template(name)
        except TemplateError:
            continue
        compiled += 1
    return compiled


def compile_theme(job: dict[str, Any]) -> int:
    """Compile the theme's templates into the bytecode cache (the helper's job); returns how many."""
    env = theme_environment(job["dirs"], job["locale"])
    return _compile_all(env, theme_template_names(job["dirs"], job["language"]), job["cache_dir"])


def compile_handler(job: dict[str, Any]) -> int:
    """Compile the mkdocstrings handler's templates into the bytecode cache (the helper's job); returns how many."""
    env = handler_environment(job)
    names = sorted(name for name in env.list_templates() if name.endswith(".jinja"))
    return _compile_all(env, names, job["cache_dir"])
