"""drift.json and performance.json exactly as the issue-14 contracts give them, for the exporter's tests.

``churn drift`` and ``churn feedback`` write these files; the exporter reads them. The fixtures keep
every key of the agreed format (the exporter ignores the ones it does not export), so a change of
format on either side shows up here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

DRIFT = {
    "generated_at": "2026-05-05T09:00:00+00:00", "model_version": "3",
    "reference": {"source": "models:/churn/3 run abc training split", "rows": 8000},
    "current": {"source": ["monitoring/prediction_log.jsonl"], "rows": 5000,
                "from": "2026-04-28T00:00:00+00:00", "to": "2026-05-05T00:00:00+00:00"},
    "thresholds": {"psi": 0.2, "p_value": 0.01, "prediction_psi": 0.2},
    "features": [
        {"feature": "tenure", "kind": "numeric", "psi": 0.012, "test": "ks", "statistic": 0.03, "p_value": 0.41,
         "drifted": False},
        {"feature": "Contract", "kind": "categorical", "psi": 0.31, "test": "chi2", "statistic": 412.0,
         "p_value": 1e-80, "drifted": True}],
    "prediction": {"psi": 0.25, "test": "ks", "statistic": 0.2, "p_value": 1e-9, "drifted": True,
                   "reference_mean": 0.27, "current_mean": 0.35},
    "drifted_features": ["Contract"], "drift": True,
}

WEEK = {"week": "2026-W18", "start": "2026-04-27", "scored": 5000, "labelled": 4800, "roc_auc": 0.83,
        "pr_auc": 0.61, "precision": 0.55, "recall": 0.72, "cost": 12345.0, "verdict": "ok"}

PERFORMANCE = {
    "generated_at": "2026-05-06T09:00:00+00:00", "model_version": "3", "threshold": 0.35,
    "weeks": [WEEK], "latest": WEEK, "unmatched_labels": 12, "below_threshold": False,
}


def write(folder: Path, drift: dict | None = None, performance: dict | None = None) -> tuple[Path, Path]:
    """Write the given summaries (deep copies) to folder/drift.json and folder/performance.json."""
    paths = folder / "drift.json", folder / "performance.json"
    for path, document in zip(paths, (drift, performance), strict=True):
        if document is not None:
            path.write_text(json.dumps(copy.deepcopy(document)), encoding="utf-8")
    return paths
