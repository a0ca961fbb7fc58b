"""Lecture 9.4: print the churn pipeline's real design, read from its Dagster Definitions.

Run it from the repository root (Dagster is the project's ``pipeline`` extra)::

    python examples/lectures/s09/asset_graph.py                    # the training job
    python examples/lectures/s09/asset_graph.py --job churn_scoring
    python examples/lectures/s09/asset_graph.py --mermaid          # the graph as Mermaid edges

For each asset of the job, in the order a run materialises it: the assets it reads, its blocking
checks and its retries; then what starts the job (schedules and sensors). Nothing is run, trained
or written: the script only reads ``churn.pipeline.definitions.defs``, the object ``dagster dev`` loads.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

EXIT_OK, EXIT_BAD_INPUT = 0, 2


@dataclass(frozen=True)
class AssetNode:
    """One asset of a job: its name, the assets it reads, its checks and its retries."""

    name: str
    upstream: tuple[str, ...]
    checks: int
    retries: int


# --8<-- [start:graph]
def job_graph(defs, job_name: str) -> list[AssetNode]:
    """The assets of ``job_name`` in the order a run materialises them, each with what it reads."""
    job = defs.resolve_job_def(job_name)
    selected = job.asset_layer.selected_asset_keys
    graph = defs.resolve_asset_graph()
    nodes = []
    for key in graph.toposorted_asset_keys:           # upstream before downstream
        if key not in selected:
            continue
        asset = graph.get(key)
        policy = asset.assets_def.op.retry_policy
        nodes.append(AssetNode(
            name=key.to_user_string(),
            upstream=tuple(sorted(parent.to_user_string() for parent in asset.parent_keys)),
            checks=len(list(asset.assets_def.check_specs)),
            retries=policy.max_retries if policy else 0))
    return nodes


def triggers(defs, job_name: str) -> list[str]:
    """What starts ``job_name``: each schedule with its cron, each sensor with its interval.

    A run status sensor (the failure alert) only watches runs and starts none, so it is left out.
    """
    from dagster import RunStatusSensorDefinition  # loaded already, with the definitions

    found = [f"schedule {s.name}: cron '{s.cron_schedule}' {s.execution_timezone}"
             for s in defs.schedules or [] if s.job_name == job_name]
    found += [f"sensor {s.name}: checks at most every {s.minimum_interval_seconds} s"
              for s in defs.sensors or [] if not isinstance(s, RunStatusSensorDefinition)
              and job_name in {job.name for job in s.jobs}]
    return found
# --8<-- [end:graph]


def edges(nodes: list[AssetNode]) -> set[tuple[str, str]]:
    """The dependencies as (upstream, downstream) pairs: what a diagram of the job must draw."""
    return {(parent, node.name) for node in nodes for parent in node.upstream}


def describe(nodes: list[AssetNode]) -> list[str]:
    """One line per asset: name, what it reads, and its checks and retries when it has any."""
    lines = []
    for node in nodes:
        extras = ([f"{node.checks} blocking checks"] if node.checks else []) + \
                 ([f"{node.retries} retries"] if node.retries else [])
        reads = ", ".join(node.upstream) or "(none)"
        lines.append(f"  {node.name:<21} <- {reads}" + (f"  [{', '.join(extras)}]" if extras else ""))
    return lines


def mermaid(nodes: list[AssetNode]) -> list[str]:
    """The job's asset graph as Mermaid flowchart edges, upstream to downstream."""
    return ["flowchart TB", *(f"    {up} --> {down}" for up, down in sorted(edges(nodes)))]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser: which job, and whether to print Mermaid edges."""
    parser = argparse.ArgumentParser(prog="python examples/lectures/s09/asset_graph.py",
                                     description="Print a churn job's asset graph, read from the Dagster Definitions.")
    parser.add_argument("--job", default="churn_training", help="the job to describe (default: churn_training)")
    parser.add_argument("--mermaid", action="store_true", help="print the asset graph as Mermaid edges instead")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Describe one job; exit 2 with the jobs there are when it does not exist."""
    args = build_parser().parse_args(argv)
    try:
        from churn.pipeline.definitions import defs
    except ImportError as error:
        print(f"error: the pipeline needs Dagster ({error}); install the extra: "
              "pip install -e 'examples[pipeline]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    jobs = sorted(job.name for job in defs.jobs or [])
    if args.job not in jobs:
        print(f"error: --job {args.job!r} is not a job of churn.pipeline.definitions; "
              f"choose one of: {', '.join(jobs)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    nodes = job_graph(defs, args.job)
    if args.mermaid:
        print("\n".join(mermaid(nodes)))
        return EXIT_OK
    print(f"job {args.job}: {len(nodes)} asset(s), upstream first; <- the assets each one reads")
    print("\n".join(describe(nodes)))
    print("started by:")
    print("\n".join(f"  {line}" for line in triggers(defs, args.job)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
