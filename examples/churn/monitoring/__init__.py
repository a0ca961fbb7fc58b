"""Monitoring the model in production: data and prediction drift against the champion's training data.

[`churn.monitoring.windows`][churn.monitoring.windows] reads the two windows (the prediction log, the
reference), [`churn.monitoring.drift`][churn.monitoring.drift] compares them,
[`churn.monitoring.report`][churn.monitoring.report] writes the page for people and the JSON for machines.
"""
