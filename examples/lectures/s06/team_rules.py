"""Lecture 6.7: check the runs of a tracking store against a team's three reproducibility rules.

A team that agrees "every run we compare or promote can be rebuilt" can check it on the records
the runs left behind, as ``churn train`` writes them (``churn.tracking.log_run``):

1. ``committed-code``: the run names its commit (``mlflow.source.git.commit``) and ``git_dirty`` is
   ``false``, so the commit holds the code that ran;
2. ``data-fingerprint``: the run carries a ``data_fingerprint`` tag, a SHA-256 of the data it saw;
3. ``config-in-schema``: the parameters, read back as a configuration, pass the project's own
   schema (``churn.config.load_config``): no unknown key, every value in range.

Without arguments the script writes three runs shaped like ``churn train``'s records (parameters
and tags only, no model: it takes a second) into a temporary SQLite store and checks them. With
``--tracking-uri`` it checks a real store and exits 0 when every run keeps every rule, 1 when one
breaks a rule and 2 for bad input. Run it from the repository root::

    python examples/lectures/s06/team_rules.py
    python examples/lectures/s06/team_rules.py --tracking-uri sqlite:///mlflow.db
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churn.config import ConfigError, check_tracking_uri, load_config

EXIT_OK, EXIT_BROKEN, EXIT_BAD_INPUT = 0, 1, 2
RULES = ("committed-code", "data-fingerprint", "config-in-schema")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadInput(ValueError):
    """An argument the script cannot work with; the message names it and says what would work."""


@dataclass(frozen=True)
class Breach:
    """One rule one run breaks, and why, in words a reviewer can act on."""

    rule: str
    why: str


def nested(params: Mapping[str, str]) -> dict[str, Any]:
    """Turn a run's flat parameters (``model.params.C``: ``"1.0"``) back into a configuration mapping.

    MLflow keeps every parameter as text; ``"None"`` (an unset ``data.path``) becomes ``None`` and
    the schema converts the rest (``"0.35"`` to a float, ``"42"`` to an int) as it does for YAML.
    """
    config: dict[str, Any] = {}
    for key, text in params.items():
        *parents, leaf = key.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = None if text == "None" else text
    return config


# --8<-- [start:check_run]
def check_run(params: Mapping[str, str], tags: Mapping[str, str]) -> list[Breach]:
    """Every team rule a run breaks, judged from its parameters and tags alone; empty when it keeps all three."""
    breaches = []
    commit, dirty = tags.get("mlflow.source.git.commit"), tags.get("git_dirty")
    if not commit:
        breaches.append(Breach("committed-code", "no mlflow.source.git.commit tag: the code is unknown"))
    elif dirty is None:
        breaches.append(Breach("committed-code", "no git_dirty tag: nobody knows if the commit is the code that ran"))
    elif dirty != "false":
        breaches.append(Breach("committed-code", f"git_dirty is {dirty!r}: the commit is not the code that ran"))
    if not SHA256.match(tags.get("data_fingerprint", "")):
        breaches.append(Breach("data-fingerprint", "no SHA-256 data_fingerprint tag: the data is unknown"))
    if not params:
        breaches.append(Breach("config-in-schema", "no parameters: the configuration is unknown"))
    else:
        try:
            load_config(None, **nested(params))  # the schema churn train itself loads configs with
        except ConfigError as error:
            for problem in str(error).split("; configuration: "):
                breaches.append(Breach("config-in-schema", problem.removeprefix("configuration: ")))
    return breaches
# --8<-- [end:check_run]


def store_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else ``None`` (a server is asked, not a file)."""
    return Path(tracking_uri.removeprefix("sqlite:///")) if tracking_uri.startswith("sqlite:///") else None


def check_store(tracking_uri: str, experiment: str) -> list[tuple[str, list[Breach]]]:
    """Check every run of ``experiment`` in the store, oldest first: (run name and short id, breaches).

    Raises:
        BadInput: The URI is not a tracking store, the SQLite file does not exist (MLflow would quietly
            create an empty one) or the store has no such experiment.
    """
    from mlflow.tracking import MlflowClient

    try:
        check_tracking_uri(tracking_uri)
    except ValueError as error:
        raise BadInput(f"--tracking-uri: {error}") from None
    database = store_path(tracking_uri)
    if database is not None and not database.is_file():
        raise BadInput(f"--tracking-uri {tracking_uri}: {database} does not exist; run churn train first, "
                       "or give the store's path")
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = sorted(e.name for e in client.search_experiments())
        raise BadInput(f"--experiment {experiment!r}: not in {tracking_uri}; experiments there: {names}")
    runs = client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])
    return [(f"{run.info.run_name} ({run.info.run_id[:8]})", check_run(run.data.params, run.data.tags))
            for run in runs]


def write_demo_runs(tracking_uri: str) -> None:
    """Record three runs the way ``churn train`` records them, without training: one per verdict to show."""
    import mlflow
    from churn.config import ExperimentConfig
    from churn.tracking import _flat_params  # the exact flattening log_run applies to a config

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("churn")
    params = {key: str(value) for key, value in _flat_params(ExperimentConfig()).items()}
    commit = hashlib.sha1(b"lecture 6.7 demo commit").hexdigest()
    fingerprint = hashlib.sha256(b"lecture 6.7 demo table").hexdigest()
    code = {"mlflow.source.git.commit": commit, "git_dirty": "false"}
    typo = {key: value for key, value in params.items() if key != "model.params.max_iter"}
    demo = {
        "reviewed": (params, code | {"data_fingerprint": fingerprint}),
        "laptop-edit": (params, code | {"git_dirty": "true", "data_fingerprint": fingerprint}),
        # MLflow tags a script's commit by itself, but not whether the tree had edits
        "notebook": (typo | {"threshold": "1.5", "model.params.max_iters": "500"},
                     {"mlflow.source.git.commit": commit}),
    }
    for name, (run_params, tags) in demo.items():
        with mlflow.start_run(run_name=name):
            mlflow.log_params(run_params)
            mlflow.set_tags(tags)


def report(results: list[tuple[str, list[Breach]]]) -> str:
    """One line per run that keeps every rule, one line per breach for the others."""
    lines = []
    for run, breaches in results:
        if not breaches:
            lines.append(f"{run}: keeps all {len(RULES)} rules")
        lines += [f"{run}: breaks {breach.rule}: {breach.why}" for breach in breaches]
    broken = sum(1 for _, breaches in results if breaches)
    lines.append(f"{len(results)} run{'s' * (len(results) != 1)} checked, {broken} break a rule")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Check a store (``--tracking-uri``) or, without one, a demo store of three runs; print the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", help="store to check, e.g. sqlite:///mlflow.db (default: a demo store)")
    parser.add_argument("--experiment", default="churn", help="experiment whose runs to check (default: churn)")
    args = parser.parse_args(argv)
    import mlflow  # noqa: F401  (imported before its loggers are quietened: the import configures them)

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="mlflow")
    try:
        if args.tracking_uri is None:
            with tempfile.TemporaryDirectory() as folder:
                uri = f"sqlite:///{Path(folder) / 'mlflow.db'}"
                write_demo_runs(uri)
                print(report(check_store(uri, "churn")))
            return EXIT_OK  # the demo shows breaches on purpose
        results = check_store(args.tracking_uri, args.experiment)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report(results))
    return EXIT_BROKEN if any(breaches for _, breaches in results) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
