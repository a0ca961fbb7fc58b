"""Lecture 8.3: what the MLflow Model Registry keeps for the churn model, and how a consumer finds and loads it.

Three jobs of a registry, on the store ``churn train`` writes to::

    TOUR="python examples/lectures/s08/registry_tour.py --tracking-uri sqlite:///mlflow.db"
    $TOUR                                           # list
    $TOUR --find data_fingerprint=8b83b2d3c0f6      # find
    $TOUR --load churn@challenger --data customers.csv

- **list**: every version with its run, its logged model (where the files are) and its tags and aliases;
- **find**: the versions whose tag starts with a value, searched by the registry, not by you;
- **load**: resolve ``name@alias`` or ``name/version`` to a version and score the first three rows of
  ``--data`` with it, so you can see that two references give the same model, or not.

It only reads. Without ``--tracking-uri`` it first trains a demo model on 1,000 generated customers
into a temporary store, then lists it and loads ``churn@challenger``.
Exit codes: 0 done, 2 bad input (no store, no such model, version, alias or data file).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from churn.config import check_tracking_uri, load_config
from churn.features import feature_frame
from churn.governance.versions import UnknownVersion, resolve_version
from churn.ingest import DataError, load_table
from churn.registry import TrackingUnreachable, registry_client


class BadInput(Exception):
    """A reference, tag filter or data file the tour cannot use (exit 2)."""


# --8<-- [start:list]
def version_lines(client: Any, name: str) -> list[str]:
    """One line per registered version: number, run, logged model, aliases and tags."""
    registered = client.get_registered_model(name)
    pointers = {str(version): alias for alias, version in registered.aliases.items()}
    lines = []
    for found in sorted(client.search_model_versions(f"name='{name}'"), key=lambda item: int(item.version)):
        tags = ", ".join(f"{key}={value[:12]}" for key, value in sorted(found.tags.items()))  # hashes shortened
        lines.append(f"v{found.version}  run {found.run_id[:8]}  files {found.source[:16]}…  "
                     f"alias {pointers.get(str(found.version), '-')}  {found.status}  tags: {tags}")
    return lines
# --8<-- [end:list]


# --8<-- [start:find]
def find(client: Any, name: str, tag: str, value: str) -> list[str]:
    """The version numbers whose tag ``tag`` starts with ``value`` (a hash prefix will do), found by the registry."""
    matches = client.search_model_versions(f"name = '{name}' and tags.`{tag}` LIKE '{value}%'")
    return sorted((str(found.version) for found in matches), key=int)
# --8<-- [end:find]


# --8<-- [start:load]
def load(client: Any, reference: str, data: Path, tracking_uri: str) -> tuple[str, list[float]]:
    """Resolve ``name@alias`` or ``name/version`` and score the first three rows of ``data`` with it."""
    import mlflow

    name, at, alias = reference.partition("@")
    number = None
    if not at:
        name, _, number = reference.partition("/")
        if not number.isdigit():
            raise BadInput(f"{reference!r}: write name@alias or name/version, e.g. churn@champion or churn/1")
    chosen = resolve_version(client, name, number, alias or None)
    mlflow.set_registry_uri(tracking_uri)
    model = mlflow.sklearn.load_model(f"models:/{reference}")  # MLflow resolves the same reference itself
    probabilities = model.predict_proba(feature_frame(load_table(data).head(3)))[:, 1]
    return str(chosen.version), [round(float(value), 4) for value in probabilities]
# --8<-- [end:load]


def demo(folder: Path) -> int:
    """Train the default config on 1,000 generated customers into ``folder``, then list and load it."""
    from churn.generate import generate_customers
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    data = folder / "customers.csv"
    generate_customers(1000, seed=42).to_csv(data, index=False)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 1000, "generator_seed": 42})
    config = config.model_copy(update={"tracking": config.tracking.model_copy(update={"uri": uri})})
    log_run(train(config, load_training_data(config, data)), config)
    print(f"a demo store in {folder}: one version of churn trained on 1,000 generated customers")
    if main(["--tracking-uri", uri]) != 0:
        return 1
    return main(["--tracking-uri", uri, "--load", "churn@challenger", "--data", str(data)])


def main(argv: list[str] | None = None) -> int:
    """Command line: list by default, ``--find TAG=VALUE`` or ``--load REFERENCE --data FILE``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", help="the store, e.g. sqlite:///mlflow.db (default: a demo store)")
    parser.add_argument("--model", default="churn", help="the registered model (default: churn)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--find", metavar="TAG=VALUE", help="versions whose tag starts with this value")
    action.add_argument("--load", metavar="REFERENCE", help="name@alias or name/version to load and score with")
    parser.add_argument("--data", type=Path, help="a customers CSV; --load scores its first three rows")
    arguments = parser.parse_args(argv)
    if arguments.load and arguments.data is None:
        parser.error("--load needs --data FILE (the rows to score)")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    if arguments.tracking_uri is None:
        if arguments.find or arguments.load:
            parser.error("--find and --load need --tracking-uri (the store to read)")
        with tempfile.TemporaryDirectory() as folder:
            return demo(Path(folder))
    try:
        uri = check_tracking_uri(arguments.tracking_uri)
        if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
            raise BadInput(f"no store at {uri}: run churn train in this folder first, or pass its --tracking-uri")
        client = registry_client(uri)
        if not client.search_registered_models(f"name = '{arguments.model}'"):
            raise BadInput(f"no registered model {arguments.model!r} in {uri}; train one first (churn train)")
        if arguments.find:
            tag, equals, value = arguments.find.partition("=")
            if not equals or not tag or "'" in value + tag or "`" in tag:
                raise BadInput(f"--find {arguments.find!r}: write TAG=VALUE, e.g. data_fingerprint=8b83b2d3c0f6")
            numbers = find(client, arguments.model, tag, value)
            print(f"{tag}={value}: " + (", ".join(f"v{number}" for number in numbers) or "no version"))
        elif arguments.load:
            version, probabilities = load(client, arguments.load, arguments.data, arguments.tracking_uri)
            print(f"{arguments.load} is v{version}; churn probability of the first 3 rows: {probabilities}")
        else:
            print("\n".join(version_lines(client, arguments.model)))
    except (BadInput, UnknownVersion, DataError, TrackingUnreachable, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
