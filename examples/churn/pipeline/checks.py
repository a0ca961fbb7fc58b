"""The data contract as Dagster asset checks: one check per validation rule, on ``validated_customers``.

Validation ([`churn.validate`][churn.validate]) reports findings; this module only shows them the
orchestrator's way. A rule with no finding passes. A rule with findings fails: with severity
``ERROR`` when one of them is fatal (the run stops before training), ``WARN`` when validation could
drop or fix the rows and go on. The checks are blocking, so an ``ERROR`` would also stop the
assets downstream; the asset raises on a fatal finding anyway, with the report as the message.
"""

from __future__ import annotations

import dagster as dg

from churn.validate import ROW_RULES, Finding, ValidationReport

VALIDATED_ASSET = "validated_customers"

# --8<-- [start:rules]
# Every rule validation can report, in the order it runs (the list in churn.validate's docstring).
CONTRACT_RULES = ("missing column", "unknown column", "duplicate column", "empty table", "no valid rows",
                  *ROW_RULES, "duplicate", "blank in first month", "blank after first month")
# --8<-- [end:rules]


def check_name(rule: str) -> str:
    """The asset check's name for a rule: ``"allowed values"`` -> ``"contract_allowed_values"``."""
    return "contract_" + rule.replace(" ", "_")


# --8<-- [start:specs]
def contract_check_specs() -> list[dg.AssetCheckSpec]:
    """One blocking check per contract rule on the validated table."""
    return [dg.AssetCheckSpec(check_name(rule), asset=VALIDATED_ASSET, blocking=True,
                              description=f"validation rule {rule!r}: no row breaks it")
            for rule in CONTRACT_RULES]
# --8<-- [end:specs]


# --8<-- [start:results]
def contract_check_results(report: ValidationReport) -> list[dg.AssetCheckResult]:
    """Turn a validation report into one check result per rule: ERROR if a finding is fatal, else WARN."""
    results = []
    for rule in CONTRACT_RULES:
        findings = [finding for finding in report.findings if finding.rule == rule]
        fatal = any(finding.action == "fatal" for finding in findings)
        results.append(dg.AssetCheckResult(
            check_name=check_name(rule), passed=not findings,
            severity=dg.AssetCheckSeverity.ERROR if fatal else dg.AssetCheckSeverity.WARN,
            metadata={"rows": sum(finding.rows for finding in findings),
                      "findings": dg.MetadataValue.md(_table(findings)) if findings else "none"}))
    return results
# --8<-- [end:results]


def _table(findings: list[Finding]) -> str:
    rows = [f"| {f.column} | {f.rows} | {f.action} | {f.detail.replace('|', '/')} |" for f in findings]
    return "\n".join(["| column | rows | action | detail |", "|---|---|---|---|", *rows])
