"""Which tests pytest-xdist must keep on one worker (``--dist loadgroup``, set in ``pyproject.toml``).

xdist spreads tests over the workers one by one, and a session- or module-scoped fixture then runs
once per worker that needs it. So two kinds of tests get an ``xdist_group``:

- every test that uses the built site (the ``built_site`` fixture): one worker builds the site
  once, serves it and drives Chromium;
- the tests of a file that defines a module-scoped fixture (``scope="module"``, which trains a
  model or runs a lab): one worker runs that fixture once.

Every other test goes to whichever worker is free.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MODULE_FIXTURE = 'scope="module"'


def assign(items: list[pytest.Item]) -> None:
    """Put each test that must share a worker into its ``xdist_group``."""
    texts: dict[Path, str] = {}
    for item in items:
        if "built_site" in item.fixturenames:
            group = "site"
        elif MODULE_FIXTURE in texts.setdefault(item.path, item.path.read_text(encoding="utf-8")):
            group = item.path.name
        else:
            continue
        item.add_marker(pytest.mark.xdist_group(group))
