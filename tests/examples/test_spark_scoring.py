"""The champion on Spark (local[2]) through mlflow.pyfunc.spark_udf: the same probabilities as churn score.

Skipped with the reason when PySpark (the ``spark`` extra) or Java is missing. Spark's start-up
(a JVM and its Python workers) is most of this file's time: about 20-40 s on a 2-core machine.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from churn.config import load_config
from churn.generate import Quality, generate_customers, write_table
from churn.governance.approvals import Approval, promote
from churn.predict import SklearnPredictor, load_champion
from churn.scoring import score_file
from churn.tracking import log_run
from churn.train import load_training_data, train

pytest.importorskip("pyspark", reason="PySpark is the project's optional `spark` extra: "
                                      "pip install -e 'examples[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 or 21 (Debian: apt-get install default-jre-headless)", allow_module_level=True)

ROWS = 200


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """One champion, one file, scored by churn score (ONNX) and on Spark (the sklearn pipeline)."""
    import mlflow
    from churn.spark_scoring import local_session, score_file_on_spark

    folder = tmp_path_factory.mktemp("spark")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri})
    data = load_training_data(config)
    log_run(train(config, data), config)
    assert promote(config, data.test, Approval("ana", "first model, meets the gate")).promoted
    customers = generate_customers(ROWS, seed=8, quality=Quality(blank_total_charges_share=0.05))
    source = write_table(customers, folder / "customers.csv")
    onnx = load_champion(tracking_uri)
    score_file(source, folder / "scores.parquet", onnx)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    spark = local_session()
    try:
        rows = score_file_on_spark(spark, source, folder / "spark-scores", threshold=onnx.threshold)
    finally:
        spark.stop()
    pipeline = mlflow.sklearn.load_model("models:/churn@champion")
    return (customers, rows, pd.read_parquet(folder / "scores.parquet"), pd.read_parquet(folder / "spark-scores"),
            SklearnPredictor(pipeline, "1"))


def test_spark_scores_every_row_as_the_sklearn_pipeline_does(scored):
    customers, rows, _, spark, sklearn = scored
    assert rows == ROWS
    spark = spark.set_index("customerID").loc[customers["customerID"]]
    clean = customers.assign(TotalCharges=[None if value == " " else value for value in customers["TotalCharges"]])
    filled = clean["TotalCharges"].astype("float64").fillna(clean["tenure"] * clean["MonthlyCharges"])
    expected = sklearn.predict_frame(clean.assign(TotalCharges=filled))
    assert np.max(np.abs(spark["churn_probability"].to_numpy() - expected)) <= 1e-12  # the same model, in float64


def test_spark_and_churn_score_agree_within_the_onnx_tolerance(scored):
    _, _, onnx, spark, _ = scored
    joined = onnx.merge(spark, on="customerID", suffixes=("_onnx", "_spark"))
    assert len(joined) == ROWS
    difference = np.max(np.abs(joined["churn_probability_onnx"] - joined["churn_probability_spark"]))
    print(f"largest difference, churn score (ONNX, float32) vs Spark (scikit-learn, float64): {difference:.2e}")
    assert difference <= 1e-6
    near = (joined["churn_probability_spark"] - 0.35).abs() > 1e-6  # a float32 step could cross the threshold
    assert (joined.loc[near, "churn_onnx"] == joined.loc[near, "churn_spark"]).all()
