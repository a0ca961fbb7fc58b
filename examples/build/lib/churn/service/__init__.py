"""The prediction API of the churn project: FastAPI, one module per concern.

Start it with ``churn serve`` or ``uvicorn churn.service.app:create_app --factory``. The modules:

- :mod:`~churn.service.settings`: configuration from ``CHURN_*`` environment variables.
- :mod:`~churn.service.schemas`: request and response models derived from the data contract.
- :mod:`~churn.service.security`: the ``X-API-Key`` check.
- :mod:`~churn.service.batching`: dynamic micro-batching of concurrent ``/predict`` calls.
- :mod:`~churn.service.prediction_log`: every prediction appended to a JSON-lines file.
- :mod:`~churn.service.metrics`: Prometheus metrics, one registry per app.
- :mod:`~churn.service.logging_setup`: one JSON object per log line, with the request id.
- :mod:`~churn.service.middleware`: request id, access log and request metrics for every request.
- :mod:`~churn.service.errors`: bad input becomes a 4xx that names the field, never a 500.
- :mod:`~churn.service.routes`: ``/health``, ``/ready``, ``/predict``, ``/predict/batch``.
- :mod:`~churn.service.app`: the app factory that wires them together.
"""
