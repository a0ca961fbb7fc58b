"""Governance: the model card, explanations of single predictions, approvals and the audit log."""
