"""Lecture 8.6: who trained, who approved and what the approver could have seen, for every churn version.

Give it the lab's store and audit log::

    python examples/lectures/s08/approval_record.py --tracking-uri sqlite:///mlflow.db

It prints one line per version of the registered model: its aliases, who trained it (the run's
``mlflow.user`` tag), the gate's verdict, who approved it and the two numbers an approver should
compare (ROC AUC, which the gate checks, and the saving per 1,000 customers at the case's threshold,
which it does not). A version approved by the user who trained it is flagged: separation of duties
is a rule of the team that this project records but does not enforce. Then one line per entry of the
audit log. It reads and never writes. Without ``--tracking-uri`` it trains and promotes a demo model
on 1,000 generated customers in a temporary folder and prints that.

Exit codes: 0 printed, 2 bad input (no such store or audit log), with one ``error:`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from churn.config import load_config
from churn.governance.audit import AuditLogError, read_entries
from churn.registry import registry_client


# --8<-- [start:record]
def version_rows(tracking_uri: str, model: str = "churn") -> list[dict[str, Any]]:
    """One row per version: aliases, trainer, gate, approver and the metrics behind the decision."""
    client = registry_client(tracking_uri)
    aliases = {}  # search_model_versions leaves a version's aliases empty; the registered model has them
    for alias, number in client.get_registered_model(model).aliases.items():
        aliases.setdefault(str(number), []).append(alias)
    rows = []
    for version in sorted(client.search_model_versions(f"name='{model}'"), key=lambda v: int(v.version)):
        run = client.get_run(version.run_id)
        tags = version.tags
        names = ",".join(sorted(aliases.get(str(version.version), []))) or "-"
        rows.append({"version": version.version, "aliases": names,
                     "trained_by": run.data.tags.get("mlflow.user", "unknown"),
                     "gate": tags.get("gate", "not run"), "approved_by": tags.get("approved_by", "-"),
                     "roc_auc": run.data.metrics["roc_auc"], "saving": run.data.metrics["saving_per_1000"]})
    return rows


def duty_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """Versions approved by the person who trained them: the author is not the sole approver."""
    return [f"v{row['version']}: approved by {row['approved_by']}, who also trained it"
            for row in rows if row["approved_by"] == row["trained_by"]]
# --8<-- [end:record]


def audit_lines(path: str | Path) -> list[str]:
    """One line per audit entry: sequence, event, actor, version and the start of its hash."""
    lines = []
    for entry in read_entries(path):
        details = entry["details"]
        version = details.get("version") or details.get("from_version") or "-"
        cause = f" ({details['cause']})" if "cause" in details else ""
        lines.append(f"{entry['seq']:>3}  {entry['event'] + cause:<32} {entry['actor']:<8} v{version:<3} "
                     f"{entry['hash'][:12]}")
    return lines


def report(tracking_uri: str, audit_log: str | Path) -> list[str]:
    """The printed report: the versions, the separation-of-duties warnings, the audit log."""
    rows = version_rows(tracking_uri)
    lines = [f"{'version':<8}{'aliases':<19}{'trained by':<12}{'gate':<8}{'approved by':<13}{'ROC AUC':>8}"
             f"{'saving/1000':>13}"]
    lines += [f"{row['version']:<8}{row['aliases']:<19}{row['trained_by']:<12}{row['gate']:<8}"
              f"{row['approved_by']:<13}{row['roc_auc']:>8.4f}{row['saving']:>13,.0f}" for row in rows]
    lines += [f"WARNING {warning}" for warning in duty_warnings(rows)]
    lines += ["", f"audit log {audit_log}:", *audit_lines(audit_log)]
    return lines


def demo(folder: Path) -> tuple[str, Path]:
    """Train the default config on 1,000 generated customers and promote it with an approval."""
    from churn.governance.approvals import Approval, promote
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    uri, log = f"sqlite:///{folder / 'mlflow.db'}", folder / "audit.jsonl"
    config = load_config(None, data={"generated_rows": 1000, "generator_seed": 42}, tracking={"uri": uri})
    data = load_training_data(config)
    log_run(train(config, data), config)
    promote(config, data.test, Approval("ana", "demo: first model"), log)
    return uri, log


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 0, or 2 for a missing store or audit log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", help="the store, e.g. sqlite:///mlflow.db (default: a demo store)")
    parser.add_argument("--audit-log", default="governance/audit.jsonl", help="default: governance/audit.jsonl")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if args.tracking_uri is None:
            uri, log = demo(Path(folder))
        else:
            uri, log = args.tracking_uri, Path(args.audit_log)
            store = uri.removeprefix("sqlite:///")
            if uri.startswith("sqlite:///") and not Path(store).is_file():
                print(f"error: {store}: no such store; run this in the lab's scratch folder", file=sys.stderr)
                return 2
            if not log.is_file():
                print(f"error: {log}: no audit log; pass --audit-log", file=sys.stderr)
                return 2
        try:
            print("\n".join(report(uri, log)))
        except (AuditLogError, KeyError, json.JSONDecodeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
