"""Monitoring: what happens to the model's predictions after they are made (Section 12)."""
