"""The prediction API of the churn project: FastAPI, one module per concern.

Start it with ``churn serve`` or ``uvicorn churn.service.app:create_app --factory``. The modules:

- ``settings``: configuration from ``CHURN_*`` environment variables.
- ``schemas``: request and response models derived from the data contract.
- ``security``: the ``X-API-Key`` check.
- ``batching``: dynamic micro-batching of concurrent ``/predict`` calls.
- ``prediction_log``: every prediction appended to a JSON-lines file.
- ``metrics``: Prometheus metrics, one registry per app.
- ``logging_setup``: one JSON object per log line, with the request id.
- ``middleware``: request id, access log and request metrics for every request.
- ``errors``: bad input becomes a 4xx that names the field, never a 500.
- ``routes``: ``/health``, ``/ready``, ``/predict``, ``/predict/batch``.
- ``app``: the app factory that wires them together.
"""
