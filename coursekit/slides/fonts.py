"""The fonts of the slide decks, shipped with the site so that a deck looks, and fits, the same everywhere.

Without its own fonts a deck is drawn in whatever the viewer's machine has: Liberation Sans on one
Linux box, DejaVu Sans (wider) on another, Helvetica on a Mac. A slide that fits on one then
overflows on another. The theme (``slides/theme/course.css``) therefore declares its fonts with
``@font-face`` rules whose files live in the site's ``assets/fonts/`` folder, two levels above each
deck (``slides/<id>/index.html``). The files come from the pinned ``@fontsource`` npm packages;
this module finds the files a theme names and copies them where a deck expects them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

#: Where the fonts live, relative to the site root (and to any folder that holds decks two levels down).
FONTS_FOLDER = "assets/fonts"
FONT_URL = re.compile(r"""url\(["']?\.\./\.\./assets/fonts/([\w.-]+\.woff2)["']?\)""")


class FontError(RuntimeError):
    """A font the deck theme names is not installed; the message says how to fix it."""


def theme_fonts(theme: Path) -> list[str]:
    """Return the font file names that ``theme`` loads from ``../../assets/fonts/``, in order, once each."""
    return list(dict.fromkeys(FONT_URL.findall(theme.read_text(encoding="utf-8"))))


def _family(name: str) -> str:
    """The npm package family of a font file: ``arimo-latin-400-normal.woff2`` -> ``arimo``."""
    return name.split("-", 1)[0]


def font_source(root: Path, name: str) -> Path:
    """Return the installed file of font ``name`` (``arimo-latin-400-normal.woff2`` -> ``@fontsource/arimo``).

    Raises:
        FontError: If the file is not in ``node_modules``.
    """
    family = _family(name)
    path = root / "node_modules" / "@fontsource" / family / "files" / name
    if not path.is_file():
        raise FontError(f"deck font {name} not found at {path}; run 'npm ci' in {root} "
                        f"(package.json pins @fontsource/{family}; make serve installs it for you)")
    return path


def deck_fonts(root: Path, theme: Path) -> dict[str, Path]:
    """Return every font file of ``theme`` and its family's licence as ``{path under the site root: file}``.

    The licence (SIL Open Font License) travels with the fonts, as it asks, as ``<family>-LICENSE.txt``.
    """
    files = {}
    for name in theme_fonts(theme):
        source = font_source(root, name)
        files[f"{FONTS_FOLDER}/{name}"] = source
        files[f"{FONTS_FOLDER}/{_family(name)}-LICENSE.txt"] = source.parent.parent / "LICENSE"
    return files


def copy_deck_fonts(root: Path, theme: Path, target_root: Path) -> None:
    """Copy the theme's fonts into ``target_root/assets/fonts/`` (decks sit two levels below ``target_root``)."""
    for relative, source in deck_fonts(root, theme).items():
        target = target_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
