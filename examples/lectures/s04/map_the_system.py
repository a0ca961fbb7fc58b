"""Lecture 4.4: the modules and HTTP endpoints of the churn system, read from the code itself.

The architecture diagrams of lecture 4.4 name these modules and endpoints; this script lists what
``examples/churn`` really contains, so you can check the diagrams against the code (and a test
does it on every run). No model is trained or loaded.

Run it from the repository root::

    python examples/lectures/s04/map_the_system.py
"""

from __future__ import annotations

import importlib
import pkgutil

import churn
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from starlette.routing import Mount


# --8<-- [start:map]
def modules() -> dict[str, str]:
    """Every module of the ``churn`` package with the first line of its docstring."""
    found = {}
    for info in pkgutil.walk_packages(churn.__path__, prefix="churn."):
        module = importlib.import_module(info.name)
        found[info.name] = (module.__doc__ or "").strip().splitlines()[0]
    return found


def endpoints() -> list[str]:
    """The service's HTTP endpoints, from an app built with a throwaway key (nothing is loaded)."""
    app = create_app(ServiceSettings(api_key="only-to-list-routes"), predictor_loader=lambda: None)
    found = [f"{method.upper():<5} {path}" for path, operations in app.openapi()["paths"].items()
             for method in operations]
    mounted = [route.path for route in app.routes if isinstance(route, Mount)]  # /metrics: not in OpenAPI
    return found + [f"GET   {path}" for path in mounted]
# --8<-- [end:map]


if __name__ == "__main__":
    for name, summary in modules().items():
        print(f"{name:<30} {summary[:90]}")
    print("\nendpoints of churn.service:")
    print("\n".join(f"  {endpoint}" for endpoint in endpoints()))
