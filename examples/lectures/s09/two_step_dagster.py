"""Lecture 9.3: the comparison's two-step pipeline (make rows, then sum them) in Dagster.

The same pipeline is written for Prefect, Airflow and Kubeflow Pipelines on the lecture's page, and
``benchmarks/orchestrators.py`` runs all four, each in a fresh environment, the way the tool's
documentation runs a pipeline in a test. Here it runs in the project's own environment::

    python examples/lectures/s09/two_step_dagster.py

It prints the pipeline's time and ``total: 4950`` (the sum of 0 to 99). With no ``DAGSTER_HOME``,
``materialize`` makes a temporary instance: the outputs are pickled in a temporary folder that is
removed at the end, and nothing is left in the current folder.
"""

from __future__ import annotations

import time

# --8<-- [start:two_step]
import dagster as dg


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=2))
def rows() -> list[int]:
    return list(range(100))


@dg.asset
def total(rows: list[int]) -> int:  # the parameter's name is the upstream asset
    return sum(rows)


def run_pipeline() -> int:
    """Materialise both assets in this process, as a pytest test would, and return the total."""
    result = dg.materialize([rows, total])  # no server, no daemon: a temporary instance
    return result.output_for_node("total")
# --8<-- [end:two_step]


if __name__ == "__main__":
    started = time.perf_counter()
    value = run_pipeline()
    print(f"pipeline seconds: {time.perf_counter() - started:.2f}")
    print(f"total: {value}")
