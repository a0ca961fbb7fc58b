"""Train, evaluate and gate in CI: run ``churn train`` then ``churn gate`` and report to the job summary.

Usage (in a GitHub Actions step)::

    CHURN_TRACKING_URI=... python .github/scripts/train_gate.py [--data FILE] [--config FILE]

Writes the metrics and the gate's verdict as Markdown to ``$GITHUB_STEP_SUMMARY`` and ``verdict`` and
``model_version`` to ``$GITHUB_OUTPUT`` (both skipped when unset, e.g. on a laptop). The tracking URI
comes from the environment (a secret), so it is never written in the workflow or the summary.

The gate promotes nothing: a challenger that passes (``verdict=passed``) waits for a person's
approval: the production deploy waits for a required reviewer, then runs ``churn promote
--approved-by`` with ``github.actor`` (who triggered the run; GitHub keeps the reviewer's name).
Exit codes follow ``churn`` (examples/churn/cli.py): a refusal by the gate (``churn gate`` exit 1)
is a verdict, not an error, so this script exits 0 with ``verdict=refused``; any other failure
of either command (2 bad input, 3 registry state, 1 from ``churn train``: the data broke the contract)
is passed on, so the job fails and nothing is deployed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT, EXIT_REGISTRY = 0, 1, 2, 3
MEANING = {EXIT_REFUSED: "refused", EXIT_BAD_INPUT: "bad input", EXIT_REGISTRY: "registry state"}
DEFAULT_COMMAND = f"{shlex.quote(sys.executable)} -m churn.cli"


def run_churn(command: Sequence[str], subcommand: str, options: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run one ``churn`` subcommand; its stderr (MLflow's log, errors) goes straight to the job log."""
    return subprocess.run([*command, subcommand, *options], stdout=subprocess.PIPE, stderr=None, text=True,
                          check=False)


def trained_model(stdout: str) -> dict:
    """The JSON ``churn train`` prints last; with a tracking server MLflow prints "View run ... at" lines first."""
    start = re.search(r"^\{", stdout, re.MULTILINE)
    return json.loads(stdout[start.start():] if start else stdout)


def metrics_table(metrics: dict[str, float]) -> str:
    """A Markdown table of the held-out metrics that ``churn train`` printed."""
    rows = [f"| {name} | {value:.4f} |" if abs(value) < 100 else f"| {name} | {value:,.0f} |"
            for name, value in metrics.items()]
    return "\n".join(["| metric | held-out value |", "|---|---|", *rows])


def failure_summary(step: str, code: int, output: str) -> str:
    """The summary of a command that failed: which one, its exit code and what the code means."""
    meaning = MEANING.get(code, "unexpected error")
    return (f"## Train, evaluate, gate: {step} failed\n\n`churn {step}` exited {code} ({meaning}); "
            f"nothing is deployed. See the job log.\n\n```\n{output.strip()}\n```\n")


def gate_summary(trained: dict, gate_code: int, gate_output: str) -> str:
    """The summary of a completed gate: the challenger's metrics and the verdict with its reasons."""
    verdict = ("passed the gate: promoted only with an approval (the production deploy's reviewer)"
               if gate_code == EXIT_OK else "refused: the champion stays")
    return (f"## Train, evaluate, gate: challenger v{trained['version']} {verdict}\n\n"
            f"Run `{trained['run_id']}`.\n\n{metrics_table(trained['metrics'])}\n\n"
            f"### Gate\n\n```\n{gate_output.strip()}\n```\n")


def append(variable: str, text: str) -> None:
    """Append to the file a GitHub Actions variable names (the job summary, the step outputs), if set."""
    path = os.environ.get(variable)
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run train then the gate; return 0 for passed or refused, else the failing command's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="CSV or Parquet to train on (default: the config's generated data)")
    parser.add_argument("--config", help="experiment YAML (default: churn's built-in defaults)")
    args = parser.parse_args(argv)

    tracking_uri = os.environ.get("CHURN_TRACKING_URI", "").strip()
    if not tracking_uri:
        print("error: CHURN_TRACKING_URI is not set; set the repository secret CHURN_TRACKING_URI "
              "(the MLflow tracking server) and pass it to this step's env", file=sys.stderr)
        return EXIT_BAD_INPUT
    command = shlex.split(os.environ.get("CHURN_COMMAND", DEFAULT_COMMAND))
    options = ["--tracking-uri", tracking_uri]
    options += ["--config", args.config] if args.config else []
    data = ["--data", args.data] if args.data else []

    train = run_churn(command, "train", [*options, *data])
    if train.returncode != EXIT_OK:
        append("GITHUB_STEP_SUMMARY", failure_summary("train", train.returncode, train.stdout))
        print(f"error: churn train exited {train.returncode} ({MEANING.get(train.returncode, 'unexpected error')})",
              file=sys.stderr)
        return train.returncode
    try:
        trained = trained_model(train.stdout)
        if not {"run_id", "version", "metrics"} <= set(trained):
            raise KeyError("run_id, version or metrics")
    except (json.JSONDecodeError, KeyError, TypeError):
        print(f"error: churn train printed no JSON with run_id, version and metrics:\n{train.stdout}", file=sys.stderr)
        return EXIT_BAD_INPUT

    gate = run_churn(command, "gate", [*options, *data])
    print(gate.stdout, end="")
    if gate.returncode not in (EXIT_OK, EXIT_REFUSED):
        append("GITHUB_STEP_SUMMARY", failure_summary("gate", gate.returncode, gate.stdout))
        print(f"error: churn gate exited {gate.returncode} "
              f"({MEANING.get(gate.returncode, 'unexpected error')})", file=sys.stderr)
        return gate.returncode
    verdict = "passed" if gate.returncode == EXIT_OK else "refused"
    append("GITHUB_STEP_SUMMARY", gate_summary(trained, gate.returncode, gate.stdout))
    append("GITHUB_OUTPUT", f"verdict={verdict}\nmodel_version={trained['version']}\n")
    if verdict == "refused":
        print(f"::warning title=Promotion gate::challenger v{trained['version']} was refused; the champion stays")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
