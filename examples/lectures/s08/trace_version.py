"""Lecture 8.1: from a registered churn model version back to the code, the data and the config that made it.

Give it the store and, for one version, its number or an alias::

    python examples/lectures/s08/trace_version.py --tracking-uri sqlite:///mlflow.db
    python examples/lectures/s08/trace_version.py 1 --tracking-uri sqlite:///mlflow.db --data customers.csv --repo code
    python examples/lectures/s08/trace_version.py --alias challenger --tracking-uri sqlite:///mlflow.db

Without a version it prints one line per version of the registered model: its aliases, its run, the
commit and whether the tree was clean, the data fingerprint, the recall and whether it is traceable.
With a version it follows the links one by one: version -> run -> the run's tags (code and data) and
parameters (config) -> the model's pinned packages, and says what is missing. ``--data`` recomputes
the fingerprint of a file as ``churn train`` tags it; ``--repo`` asks Git whether a checkout holds the
recorded commit. It reads and never writes. Without ``--tracking-uri`` it first trains a demo model
on 1,000 generated customers into a temporary store, and prints the table and that version's trace.

Exit codes: 0 printed (a version: traceable), 1 the version is not traceable (the reasons are
printed), 2 bad input (no store, no such version or alias, unreadable data), with one ``error:`` line.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churn.config import check_tracking_uri, load_config
from churn.governance.versions import UnknownVersion, resolve_version
from churn.ingest import DataError, load_table
from churn.registry import TrackingUnreachable, registry_client
from churn.tracking import data_fingerprint
from churn.validate import ValidationFailed, validate_or_raise


@dataclass(frozen=True)
class Lineage:
    """What the registry and the tracking store say one model version was made from."""

    version: str
    aliases: list[str]
    run_id: str
    commit: str | None  # the run's mlflow.source.git.commit tag
    dirty: str | None  # the run's git_dirty tag: "true", "false" or None (not recorded)
    data_source: str | None
    fingerprint: str | None  # the run's data_fingerprint tag
    version_fingerprint: str | None  # the same tag, copied onto the version by log_run
    rows: tuple[str | None, str | None]  # rows_train, rows_test
    params: dict[str, str]
    recall: float | None


# --8<-- [start:lineage]
def lineage(client: Any, name: str, version: str) -> Lineage:
    """Follow one registered version to its run and read what the run recorded about its inputs."""
    chosen = client.get_model_version(name, version)
    aliases = sorted(alias for alias, target in client.get_registered_model(name).aliases.items()
                     if str(target) == str(version))
    run = client.get_run(chosen.run_id)  # the version's one link to everything else
    tags = run.data.tags
    return Lineage(str(chosen.version), aliases, chosen.run_id,
                   commit=tags.get("mlflow.source.git.commit"), dirty=tags.get("git_dirty"),
                   data_source=tags.get("data_source"), fingerprint=tags.get("data_fingerprint"),
                   version_fingerprint=chosen.tags.get("data_fingerprint"),
                   rows=(tags.get("rows_train"), tags.get("rows_test")),
                   params=dict(run.data.params), recall=run.data.metrics.get("recall"))
# --8<-- [end:lineage]


# --8<-- [start:gaps]
def gaps(found: Lineage) -> list[str]:
    """What is missing to get from this version back to its code and its data; empty: traceable."""
    missing = []
    if found.commit is None:
        missing.append("code: no commit recorded (trained outside a Git checkout)")
    elif found.dirty != "false":
        state = "had uncommitted edits" if found.dirty == "true" else "has no git_dirty tag"
        missing.append(f"code: commit {found.commit[:12]} {state}; the code that ran is not in any commit")
    if found.fingerprint is None:
        missing.append("data: no data_fingerprint recorded, so no file can be checked against the run")
    elif found.version_fingerprint not in (None, found.fingerprint):
        missing.append("data: the version's data_fingerprint tag is not its run's")
    if not found.params:
        missing.append("config: the run logged no parameters")
    return missing
# --8<-- [end:gaps]


def file_fingerprint(path: str) -> str:
    """The fingerprint ``churn train`` would tag for this file: the validated rows, in file order."""
    clean, _ = validate_or_raise(load_table(path))
    return data_fingerprint(clean.sort_index())


def has_commit(repo: str, commit: str) -> bool:
    """Whether the Git checkout ``repo`` holds ``commit`` (so ``git switch --detach`` can bring it back)."""
    result = subprocess.run(["git", "-C", repo, "cat-file", "-e", f"{commit}^{{commit}}"],
                            capture_output=True, check=False, timeout=10)
    return result.returncode == 0


def packages(tracking_uri: str, name: str, version: str) -> list[str]:
    """The ``name==version`` lines of the ``requirements.txt`` MLflow stored with the model."""
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # no "To install the dependencies ..." line
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    text = Path(mlflow.pyfunc.get_model_dependencies(f"models:/{name}/{version}")).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if "==" in line]


def _short(value: str | None, width: int = 12) -> str:
    return value[:width] if value else "-"


def table(client: Any, name: str) -> list[str]:
    """One line per registered version: aliases, run, commit, tree, data, recall, traceable."""
    numbers = sorted((str(item.version) for item in client.search_model_versions(f"name='{name}'")), key=int)
    lines = [f"{'version':<8}{'aliases':<12}{'run':<10}{'commit':<12}{'tree':<8}{'data':<14}{'recall':<8}traceable"]
    for number in numbers:
        found = lineage(client, name, number)
        tree = {"false": "clean", "true": "DIRTY"}.get(found.dirty or "", "-")
        recall = "-" if found.recall is None else f"{found.recall:.4f}"
        lines.append(f"{number:<8}{', '.join(found.aliases) or '-':<12}{found.run_id[:8]:<10}"
                     f"{_short(found.commit, 10):<12}{tree:<8}{_short(found.fingerprint):<14}{recall:<8}"
                     f"{'no' if gaps(found) else 'yes'}")
    return lines


# --8<-- [start:trace]
def trace(tracking_uri: str, name: str, found: Lineage, data: str | None = None,
          repo: str | None = None) -> tuple[list[str], list[str]]:
    """The lines that follow one version to its inputs, and what is missing (empty: traceable)."""
    missing = gaps(found)
    tree = {"false": "clean", "true": "DIRTY, uncommitted edits"}.get(found.dirty or "", "not recorded")
    params = found.params
    lines = [f"{name} v{found.version} (aliases: {', '.join(found.aliases) or 'none'}) <- run {found.run_id}",
             f"code     commit {_short(found.commit)}, tree {tree}" if found.commit else "code     not recorded"]
    if repo and found.commit:
        held = has_commit(repo, found.commit)
        lines.append(f"         {repo}: {'holds' if held else 'does not hold'} commit {found.commit[:12]}")
        if not held:
            missing.append(f"code: {repo} does not hold commit {found.commit[:12]}")
    lines.append(f"data     {found.data_source}: {found.rows[0]} train + {found.rows[1]} test rows, "
                 f"fingerprint {_short(found.fingerprint)}")
    if data and found.fingerprint:
        now = file_fingerprint(data)
        same = now == found.fingerprint
        lines.append(f"         {data} now: fingerprint {now[:12]}, {'same' if same else 'OTHER DATA'}")
        if not same:
            missing.append(f"data: {data} is not the data this version saw; get the file with fingerprint "
                           f"{found.fingerprint[:12]}")
    lines.append(f"config   {len(params)} parameters: {params.get('model.kind')}, seed {params.get('seed')}, "
                 f"threshold {params.get('threshold')}")
    lines.append("packages " + ", ".join(line.replace("==", " ") for line in packages(tracking_uri, name,
                                                                                   found.version)))
    return lines, missing
# --8<-- [end:trace]


def verdict(found: Lineage, missing: list[str], repo: str | None) -> list[str]:
    """The last lines: what to run next, or every missing piece."""
    if missing:
        return ["NOT traceable:", *(f"  - {reason}" for reason in missing)]
    where = f"git -C {repo}" if repo else "git"
    return [f"traceable: {where} switch --detach {found.commit[:12]}, then lecture 6.6's reproduce_run.py "
            f"{found.run_id[:8]}…"]


def demo_store(folder: Path) -> str:
    """Train the default config on 1,000 generated customers into ``folder``; return the store's URI."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 1000, "generator_seed": 42})
    config = config.model_copy(update={"tracking": config.tracking.model_copy(update={"uri": uri})})
    log_run(train(config, load_training_data(config)), config)
    return uri


def main(argv: list[str] | None = None) -> int:
    """Print the table or one version's trace; exit 0, 1 not traceable, 2 bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", nargs="?", help="a version number (default: a table of every version)")
    parser.add_argument("--alias", help="the version an alias points at, e.g. champion or challenger")
    parser.add_argument("--tracking-uri", help="the store (default: a demo store trained first)")
    parser.add_argument("--model", default="churn", help="the registered model (default: churn)")
    parser.add_argument("--data", help="a data file to check against the version's data fingerprint")
    parser.add_argument("--repo", help="a Git checkout to look for the version's commit in")
    args = parser.parse_args(argv)
    if args.version and args.alias:
        parser.error(f"give a VERSION or --alias, not both (got {args.version} and --alias {args.alias})")
    with tempfile.TemporaryDirectory() as folder:
        try:
            if args.tracking_uri is None:
                uri = demo_store(Path(folder))
            else:
                uri = check_tracking_uri(args.tracking_uri)
                if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
                    raise DataError(f"{uri}: no such database file; give the mlflow.db the model was registered in")
            client = registry_client(uri)
            if args.version is None and args.alias is None:
                if not _exists(client, args.model):
                    raise UnknownVersion(f"no registered model {args.model!r} in {uri}; train one first (churn train)")
                print("\n".join(table(client, args.model)))
                if args.tracking_uri is not None:
                    return 0
                print()  # the demo follows its one version too, whatever the checkout's state
                found = lineage(client, args.model, "1")
                lines, missing = trace(uri, args.model, found)
                print("\n".join([*lines, *verdict(found, missing, None)]))
                return 0
            chosen = resolve_version(client, args.model, args.version, args.alias)
            found = lineage(client, args.model, str(chosen.version))
            lines, missing = trace(uri, args.model, found, args.data, args.repo)
        except (UnknownVersion, DataError, ValidationFailed, TrackingUnreachable, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print("\n".join([*lines, *verdict(found, missing, args.repo)]))
    return 1 if missing else 0


def _exists(client: Any, name: str) -> bool:
    try:
        client.get_registered_model(name)
    except Exception:  # MLflow raises RestException for a missing model
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
