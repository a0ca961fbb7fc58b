"""Find one registered model version by its number or by an alias, with a one-line error when it does not exist.

``churn model-card`` and ``churn explain`` both take ``[VERSION | --alias ALIAS]`` (default: the
``champion``); this is the one lookup behind both.
"""

from __future__ import annotations

from typing import Any


class UnknownVersion(LookupError):
    """No such registered model, version or alias; the message names it and lists what exists."""


def resolve_version(client: Any, model_name: str, version: str | None = None, alias: str | None = None) -> Any:
    """Return the ``ModelVersion`` numbered ``version``, else the one ``alias`` (default ``champion``) points at.

    Raises:
        UnknownVersion: The model, the version or the alias does not exist.
    """
    from churn.registry import CHAMPION

    try:
        registered = client.get_registered_model(model_name)
    except Exception:  # MLflow raises RestException for a missing model
        raise UnknownVersion(f"no registered model {model_name!r} in the registry; "
                             "train one first (churn train)") from None
    if version is None:
        alias = alias or CHAMPION
        aliases = {name: str(target) for name, target in registered.aliases.items()}
        if alias not in aliases:
            known = ", ".join(f"{name} (v{target})" for name, target in sorted(aliases.items())) or "none"
            raise UnknownVersion(f"model {model_name!r} has no alias {alias!r}; its aliases: {known}")
        version = aliases[alias]
    try:
        return client.get_model_version(model_name, str(version))
    except Exception:
        numbers = sorted((str(item.version) for item in client.search_model_versions(f"name='{model_name}'")), key=int)
        raise UnknownVersion(f"model {model_name!r} has no version {version!r}; its versions: "
                             f"{', '.join(numbers) or 'none'}") from None
