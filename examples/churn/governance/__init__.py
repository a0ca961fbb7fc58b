"""Governance: who approved what, a tamper-evident record of it, and a customer's right to erasure.

- [`audit`][churn.governance.audit]: the append-only, hash-chained audit log (``churn audit verify``).
- [`approvals`][churn.governance.approvals]: promotion and rollback need a named approver and a reason.
- [`erasure`][churn.governance.erasure]: "delete my data" across stored tables and the prediction log.
"""
