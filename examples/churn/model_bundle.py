"""A model bundle: the champion exported to a folder, so the service can score without the registry.

A bundle is two files:

- ``model.onnx``: the champion's ONNX copy (the artifact ``churn train`` logs next to the model);
- ``bundle.json``: which model it is (name, version, run id), its decision threshold, and the
  SHA-256 of ``model.onnx``, so a truncated or swapped file is refused at start-up; for the linear
  model also ``explainer``, the constants ``POST /explain`` computes exact contributions from with
  NumPy ([`LinearExplainer`][churn.governance.explain.LinearExplainer]); ``null`` for tree models.

``churn export --output DIR`` writes one from the registry (this needs MLflow: the training side);
the service loads one when ``CHURN_MODEL_DIR`` names it (this needs only ONNX Runtime). The
Dockerfile copies a bundle into the image at build time: the image is then immutable, starts
without network, and carries neither MLflow nor scikit-learn. See examples/README.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churn.predict import OnnxPredictor, fetch_registered_onnx

MODEL_FILE = "model.onnx"
METADATA_FILE = "bundle.json"
FORMAT_VERSION = 1


class BundleError(ValueError):
    """A model bundle folder is missing, incomplete or corrupt; the message names the file and the fix."""


@dataclass(frozen=True)
class BundleMetadata:
    """What ``bundle.json`` says about the model next to it."""

    model_name: str
    model_version: str
    threshold: float
    run_id: str
    sha256: str
    exported_at: str
    format_version: int = FORMAT_VERSION
    explainer: dict[str, Any] | None = None  # absent from bundles written before /explain: None


def write_bundle(folder: str | Path, onnx_model: bytes, *, model_name: str, model_version: str,
                 threshold: float, run_id: str = "", explainer: dict[str, Any] | None = None) -> BundleMetadata:
    """Write ``model.onnx`` and ``bundle.json`` into ``folder`` (created if needed); return the metadata.

    ``explainer`` is a linear model's ``LinearExplainer.to_dict()``; it lets the service answer ``POST /explain``.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BundleError(f"{folder}: exists and is not a folder; give a folder for --output")
    folder.mkdir(parents=True, exist_ok=True)
    metadata = BundleMetadata(model_name=model_name, model_version=str(model_version), threshold=float(threshold),
                              run_id=run_id, sha256=hashlib.sha256(onnx_model).hexdigest(),
                              exported_at=datetime.now(UTC).isoformat(timespec="seconds"), explainer=explainer)
    (folder / MODEL_FILE).write_bytes(onnx_model)
    (folder / METADATA_FILE).write_text(json.dumps(asdict(metadata), indent=2) + "\n", encoding="utf-8")
    return metadata


def read_bundle(folder: str | Path) -> tuple[bytes, BundleMetadata]:
    """Return the ONNX bytes and the metadata of a bundle, after checking the checksum.

    Raises:
        BundleError: A file is missing, ``bundle.json`` is not valid, or ``model.onnx`` does not
            match the checksum recorded at export.
    """
    folder = Path(folder)
    model_path, metadata_path = folder / MODEL_FILE, folder / METADATA_FILE
    for path in (metadata_path, model_path):
        if not path.is_file():
            raise BundleError(f"{path}: no such file; a model bundle needs {MODEL_FILE} and {METADATA_FILE} "
                              "(write one with: churn export --output FOLDER)")
    try:
        fields = json.loads(metadata_path.read_text(encoding="utf-8"))
        metadata = BundleMetadata(**fields)
    except (json.JSONDecodeError, TypeError) as error:
        raise BundleError(f"{metadata_path}: not a bundle description ({error}); export the bundle again "
                          "with: churn export --output FOLDER") from None
    if metadata.format_version != FORMAT_VERSION:
        raise BundleError(f"{metadata_path}: format_version {metadata.format_version} is not supported "
                          f"(expected {FORMAT_VERSION}); export the bundle again with this version of churn")
    onnx_model = model_path.read_bytes()
    if hashlib.sha256(onnx_model).hexdigest() != metadata.sha256:
        raise BundleError(f"{model_path}: SHA-256 does not match {METADATA_FILE} (truncated or replaced file); "
                          "export the bundle again with: churn export --output FOLDER")
    return onnx_model, metadata


# --8<-- [start:load_bundle]
def load_bundle(folder: str | Path) -> OnnxPredictor:
    """Return an ONNX predictor for the bundle in ``folder`` (no MLflow, no network).

    Raises:
        BundleError: See [`read_bundle`][churn.model_bundle.read_bundle].
    """
    from churn.governance.explain import ExplainError, LinearExplainer

    onnx_model, metadata = read_bundle(folder)
    try:
        explainer = LinearExplainer.from_dict(metadata.explainer) if metadata.explainer else None
    except ExplainError as error:
        raise BundleError(f"{Path(folder) / METADATA_FILE}: explainer: {error}") from None
    return OnnxPredictor(onnx_model, model_version=metadata.model_version, threshold=metadata.threshold,
                         explainer=explainer)
# --8<-- [end:load_bundle]


def export_champion(folder: str | Path, tracking_uri: str | None = None, model_name: str = "churn",
                    alias: str = "champion") -> BundleMetadata:
    """Write the model version that ``alias`` points at as a bundle in ``folder``.

    The same artifact and threshold tag as [`load_champion`][churn.predict.load_champion], so a
    bundle scores exactly as the registry path does.

    Raises:
        LookupError: No version carries the alias yet (train and promote a model first).
    """
    registered = fetch_registered_onnx(tracking_uri, model_name, alias)
    return write_bundle(folder, registered.onnx, model_name=model_name, model_version=registered.model_version,
                        run_id=registered.run_id, threshold=registered.threshold, explainer=registered.explainer)
