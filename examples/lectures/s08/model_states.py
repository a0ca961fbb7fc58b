"""Lecture 8.4: the states of the churn model's versions, read from aliases and tags.

Three views of one registry (default: ``sqlite:///mlflow.db`` in the current folder, model ``churn``)::

    python examples/lectures/s08/model_states.py list        # every version: aliases, stages, state tags
    python examples/lectures/s08/model_states.py load        # what models:/churn@champion resolves to and scores
    python examples/lectures/s08/model_states.py old-stage   # what the deprecated stage API still does

``list`` and ``load`` only read. ``old-stage`` writes: it moves the champion's version to the old
stage ``Production`` with ``transition_model_version_stage`` and shows the warning MLflow gives, so
run it on a scratch store. With no command the script makes its own scratch store: it trains two
models, promotes both, rolls back and prints ``list`` after every step.

Exit codes: 0 done, 2 bad input (no store at the path, an unknown model), 3 no champion to load.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from churn.config import check_tracking_uri, load_config
from churn.registry import CHALLENGER, CHAMPION, registry_client

# Tags that record a state a version is in, not a pointer: the gate's verdict, the approval, the rollback.
STATE_TAGS = ("gate", "approved_by", "rolled_back_at")


class BadInput(Exception):
    """No store at the path, or no such model in it (exit 2)."""


# --8<-- [start:old_stage]
def old_stage(aliases: list[str]) -> str:
    """The old MLflow stage that a version with these aliases corresponds to."""
    if CHAMPION in aliases:
        return "Production"
    if CHALLENGER in aliases:
        return "Staging"
    return "Archived"  # previous_champion included: retired, but kept one command away
# --8<-- [end:old_stage]


# --8<-- [start:states]
def states(client: Any, name: str) -> list[str]:
    """One line per version: its aliases, the old stage they map onto, the stage MLflow stores, state tags."""
    pointers = client.get_registered_model(name).aliases  # alias -> version: one version per alias
    lines = [f"{'version':<8} {'aliases':<18} {'maps to':<11} {'stage':<11} state tags"]
    for version in sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version)):
        aliases = sorted(alias for alias, number in pointers.items() if str(number) == str(version.version))
        tags = ", ".join(f"{key}={version.tags[key][:10]}" for key in STATE_TAGS if key in version.tags)
        lines.append(f"v{version.version:<7} {', '.join(aliases) or '-':<18} {old_stage(aliases):<11} "
                     f"{version.current_stage:<11} {tags or '-'}")  # current_stage: set only by the old API
    return lines
# --8<-- [end:states]


def customers() -> Any:
    """Three customers of a generated table (seed 8): the same three on every run."""
    from churn.generate import generate_customers

    return generate_customers(3, seed=8)


# --8<-- [start:load]
def load(tracking_uri: str, name: str) -> list[str]:
    """Resolve ``models:/<name>@champion`` as every consumer does, and score three customers with it."""
    import mlflow
    from churn.features import feature_frame
    from churn.predict import load_champion

    uri = f"models:/{name}@{CHAMPION}"
    version = registry_client(tracking_uri).get_model_version_by_alias(name, CHAMPION)
    mlflow.set_registry_uri(tracking_uri)
    model = mlflow.sklearn.load_model(uri)  # the scikit-learn pipeline the alias points at
    service = load_champion(tracking_uri, name)  # the ONNX copy the API and churn score load
    frame = customers()
    sklearn_p = model.predict_proba(feature_frame(frame))[:, 1]
    onnx_p = service.predict_frame(frame)
    return [f"{uri} -> version {version.version} (run {version.run_id[:8]})",
            f"P(churn) of three customers: {', '.join(f'{p:.4f}' for p in sklearn_p)}",
            f"churn.predict.load_champion: version {service.model_version}, "
            f"P(churn) {', '.join(f'{p:.4f}' for p in onnx_p)}", old_uri(tracking_uri, name)]
# --8<-- [end:load]


def old_uri(tracking_uri: str, name: str) -> str:
    """What an old tutorial's ``models:/<name>/Production`` loads: the stage field, which no alias move changes."""
    client = registry_client(tracking_uri)
    if not any(v.current_stage == "Production" for v in client.search_model_versions(f"name='{name}'")):
        return f"models:/{name}/Production -> no version (none has the old stage Production)"
    version, _ = resolve_old_uri(client, tracking_uri, name)
    return f"models:/{name}/Production -> version {version} (the old stage field)"


def resolve_old_uri(client: Any, tracking_uri: str, name: str) -> tuple[str, int]:
    """The version ``models:/<name>/Production`` resolves to, and how many FutureWarnings resolving it gave."""
    import mlflow

    with warnings.catch_warnings(record=True) as on_load:
        warnings.simplefilter("always")
        mlflow.set_registry_uri(tracking_uri)
        info = mlflow.models.get_model_info(f"models:/{name}/Production")  # the old URI, as old tutorials load it
    by_run = {v.run_id: v.version for v in client.search_model_versions(f"name='{name}'")}
    return by_run[info.run_id], sum(issubclass(w.category, FutureWarning) for w in on_load)


# --8<-- [start:old_api]
def old_stage_api(tracking_uri: str, name: str) -> list[str]:
    """Move the champion's version to the old stage Production; show what MLflow warns and what it keeps."""
    client = registry_client(tracking_uri)
    champion = client.get_model_version_by_alias(name, CHAMPION)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = client.transition_model_version_stage(name, champion.version, "Production")
        latest = client.get_latest_versions(name, stages=["Production"])
    version, loud = resolve_old_uri(client, tracking_uri, name)
    said = [f"{w.category.__name__}: {deprecation(w.message)}" for w in caught]
    return [*said, f"version {moved.version}: current_stage={moved.current_stage}",
            f"get_latest_versions(Production) -> version {', '.join(str(v.version) for v in latest)}",
            f"models:/{name}/Production -> version {version}, {loud} FutureWarning on loading"]

# --8<-- [end:old_api]


def deprecation(message: Warning | str) -> str:
    """MLflow's deprecation message without its markup, module path and link."""
    text = str(message).replace("``", "").replace("mlflow.tracking.client.MlflowClient.", "")
    return text.split(" To learn more")[0]


def demo(folder: Path) -> list[str]:
    """Train two models into a scratch store, promote both, roll back; ``states`` after every step."""
    from churn.governance.approvals import Approval, promote, rollback
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client, lines = registry_client(uri), []
    weak = load_config(None, data={"generated_rows": 2000}, tracking={"uri": uri},
                       model={"kind": "logistic_regression", "params": {"C": 0.001, "max_iter": 1000}})
    default = load_config(None, data={"generated_rows": 2000}, tracking={"uri": uri})
    approval, audit = Approval("demo", "lecture 8.4 demo"), folder / "audit.jsonl"
    for step, config in (("v1 trained, promoted", weak), ("v2 trained, promoted", default)):
        data = load_training_data(config)
        log_run(train(config, data), config)
        promote(config, data.test, approval, audit)
        lines += [f"after: {step}", *states(client, "churn")]
    rollback(default, approval, audit)
    return [*lines, "after: rollback", *states(client, "churn")]


def existing_store(uri: str) -> str:
    """``uri`` if it names a store that exists: a sqlite URI to a missing file would create an empty one."""
    check_tracking_uri(uri)
    path = uri.removeprefix("sqlite:///")
    if uri.startswith("sqlite:///") and not Path(path).is_file():
        raise BadInput(f"{uri}: no such database file here ({os.getcwd()}); run churn train first")
    return uri


def main(argv: list[str] | None = None) -> int:
    """Print the view asked for; exit 0 done, 2 bad input, 3 no champion."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["list", "load", "old-stage"],
                        help="what to show (default: a demo in a scratch store)")
    parser.add_argument("--tracking-uri", default="sqlite:///mlflow.db", help="default: sqlite:///mlflow.db")
    parser.add_argument("--model", default="churn", help="registered model name (default: churn)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no progress bars on stderr
    from mlflow.exceptions import MlflowException  # imports MLflow, which sets up its loggers: quiet them after

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # no "Creating initial MLflow database tables" lines
    logging.getLogger("alembic").setLevel(logging.WARNING)

    try:
        if args.command is None:
            with tempfile.TemporaryDirectory() as folder:
                lines = demo(Path(folder))
        else:
            uri = existing_store(args.tracking_uri)
            client = registry_client(uri)
            if not client.search_registered_models(f"name='{args.model}'"):
                raise BadInput(f"{uri}: no registered model {args.model!r}")
            lines = {"list": lambda: states(client, args.model), "load": lambda: load(uri, args.model),
                     "old-stage": lambda: old_stage_api(uri, args.model)}[args.command]()
    except (BadInput, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except MlflowException as error:
        print(f"error: {args.model}@{CHAMPION}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 3
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
