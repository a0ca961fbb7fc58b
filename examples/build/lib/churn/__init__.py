"""churn: the customer-churn prediction system built in the MLOps course."""

__version__ = "0.1.0"
