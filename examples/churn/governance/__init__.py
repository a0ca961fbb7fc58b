"""Governance: approvals and their tamper-evident record, erasure, the model card, explanations.

- [`audit`][churn.governance.audit]: the append-only, hash-chained audit log (``churn audit verify``).
- [`approvals`][churn.governance.approvals]: promotion and rollback need a named approver and a reason.
- [`erasure`][churn.governance.erasure]: "delete my data" across stored tables and the prediction log.
- [`model_card`][churn.governance.model_card]: the model card of a registered version (``churn model-card``).
- [`explain`][churn.governance.explain]: per-feature contributions to one customer's score (``churn explain``).
- [`versions`][churn.governance.versions]: one version by number or alias, shared by the two above.
"""
