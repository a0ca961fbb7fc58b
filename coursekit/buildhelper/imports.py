"""Keep mkdocs-jupyter's heavy imports out of builds that convert no notebook in-process.

mkdocs-jupyter imports jupytext and nbconvert (through its ``convert`` module) as soon as MkDocs
loads it, about 0.4 s, although a build whose notebooks are unchanged serves them from the
plugin's own cache (``.cache/mkdocs-jupyter``) and never calls either, and a changed notebook is
converted by the build helper (``coursekit.buildhelper.helper``) in its own process. The
``course-build-helper`` plugin puts stand-ins for those two modules in ``sys.modules``; the real
module is imported on the first attribute a caller reads, that is, when a notebook is really
converted in the build process. Output is unchanged; only the import moves.

(``importlib.util.LazyLoader`` cannot do this on Python 3.11: the import system reads the module's
``__spec__`` on every ``import``, which makes a lazy module load at once.)
"""

from __future__ import annotations

import importlib
import sys
import types

#: The modules mkdocs-jupyter imports at load time but uses only to convert a notebook.
NOTEBOOK_MODULES = ("jupytext", "mkdocs_jupyter.convert")


class DeferredModule(types.ModuleType):
    """A stand-in that imports the real module on first attribute access and delegates to it."""

    def __getattr__(self, name: str) -> object:
        real = self.__dict__.get("_real_module")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real_module"] = real
        return getattr(real, name)


def defer(name: str) -> bool:
    """Put a stand-in for module ``name`` in ``sys.modules`` unless it is imported already.

    Returns:
        True if a stand-in was installed.
    """
    if name in sys.modules:
        return False
    sys.modules[name] = DeferredModule(name)
    return True

