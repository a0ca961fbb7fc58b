"""Training: validated data in, a fitted pipeline and its held-out evaluation out.

Nothing here talks to MLflow; [`churn.tracking`][churn.tracking] records what this module produces. That keeps
training testable on its own and lets the same code run with any tracking backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from churn.config import ExperimentConfig
from churn.evaluate import evaluate, plot_images, slice_metrics
from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.governance.explain import LinearExplainer
from churn.ingest import load_table
from churn.onnx_export import to_onnx
from churn.validate import ValidationReport, validate_or_raise


@dataclass
class TrainingData:
    """A validated table split into training and held-out evaluation parts."""

    train: pd.DataFrame
    test: pd.DataFrame
    report: ValidationReport
    source: str


@dataclass
class TrainResult:
    """What one training run produced.

    Attributes:
        pipeline: The fitted scikit-learn pipeline.
        metrics: Held-out metrics of [`churn.evaluate.evaluate()`][churn.evaluate.evaluate].
        data: The data it was trained and evaluated on.
        seconds: Time to fit and compute the metrics.
        plots: The evaluation plots (PNG bytes by file name) an experiment page shows.
        onnx: The same pipeline exported to ONNX, the copy the service scores with.
        slices: Held-out metrics per ``gender`` and ``SeniorCitizen`` value and the gaps between them
            ([`churn.evaluate.slice_metrics()`][churn.evaluate.slice_metrics]); the model card reads them.
        explainer: For the linear model, what exact explanations need without scikit-learn
            ([`LinearExplainer`][churn.governance.explain.LinearExplainer]); ``None`` for trees.
    """

    pipeline: Pipeline
    metrics: dict[str, float]
    data: TrainingData
    seconds: float
    plots: dict[str, bytes]
    onnx: bytes
    slices: dict[str, float] = field(default_factory=dict)
    explainer: LinearExplainer | None = None


# --8<-- [start:load_data]
def load_training_data(config: ExperimentConfig, path: str | Path | None = None) -> TrainingData:
    """Load (or generate) the data, validate it against the contract, and split it.

    Raises:
        churn.ingest.DataError: The file is missing or unreadable.
        churn.validate.ValidationFailed: The data breaks a fatal rule; nothing is trained.
    """
    source = path or config.data.path
    if source is not None:
        raw = load_table(source)
    else:
        raw = generate_customers(config.data.generated_rows, seed=config.data.generator_seed)
    clean, report = validate_or_raise(raw)
    train, test = train_test_split(clean, test_size=config.test_size, random_state=config.seed,
                                   stratify=clean["Churn"])
    return TrainingData(train, test, report, str(source or f"generated:{config.data.generated_rows}"))
# --8<-- [end:load_data]


# --8<-- [start:train]
def train(config: ExperimentConfig, data: TrainingData) -> TrainResult:
    """Fit the configured pipeline, evaluate it on the held-out part, draw its plots, export it to ONNX."""
    started = time.perf_counter()
    pipeline = build_pipeline(config.model.kind, config.model.params, seed=config.seed)
    pipeline.fit(feature_frame(data.train), target(data.train))
    probability = pipeline.predict_proba(feature_frame(data.test))[:, 1]
    y_true = target(data.test).to_numpy()
    metrics = evaluate(y_true, probability, config.threshold, config.costs)
    seconds = time.perf_counter() - started
    explainer = LinearExplainer.from_pipeline(pipeline, feature_frame(data.train)) \
        if config.model.kind == "logistic_regression" else None
    return TrainResult(pipeline, metrics, data, seconds, plots=plot_images(y_true, probability, config.threshold),
                       onnx=to_onnx(pipeline), slices=slice_metrics(data.test, y_true, probability, config.threshold),
                       explainer=explainer)
# --8<-- [end:train]
