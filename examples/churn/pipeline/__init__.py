"""The training pipeline: the project's steps in order, on Dagster or with no orchestrator at all.

[`steps`][churn.pipeline.steps] holds the plain functions, [`run`][churn.pipeline.run] calls them in
order (``churn pipeline``), [`stages`][churn.pipeline.stages] runs one of them as a DVC stage, and the
Dagster modules (``assets``, ``checks``, ``resources``, ``jobs``, ``schedules``, ``sensors``,
``definitions``) wrap the same functions as assets. Importing this package imports no Dagster:
Dagster is the optional ``pipeline`` extra, which the service's environment does not install.
"""
