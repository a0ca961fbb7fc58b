"""Monitoring of the served model: drift, realised performance, and their metrics for Prometheus.

Keep this file free of imports: the exporter (``churn.monitoring.exporter``) runs in the service
image, which has no training stack, and importing it runs this file first.
"""
