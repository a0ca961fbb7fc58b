"""Batch scoring past one machine: the champion on Spark, through MLflow's own ``mlflow.pyfunc.spark_udf``.

``churn score`` ([`churn.scoring`][churn.scoring]) scores a million rows on one machine in seconds.
When the customer table outgrows one machine, the same registered model runs on a Spark cluster:
``spark_udf`` turns ``models:/churn@champion`` into a vectorised UDF that each executor runs on its
part of the rows (``env_manager="local"``: the executors use this Python environment, which must
hold the model's pinned requirements; ``"virtualenv"`` or ``"uv"`` would rebuild them from the
model's own files). Install the optional extra first: ``pip install -e 'examples[spark]'`` (PySpark
4 needs Java 17 or 21, e.g. Debian's ``default-jre-headless``).

What it scores with: the scikit-learn pipeline that ``churn train`` logs (MLflow's sklearn flavour,
its pyfunc answering ``predict_proba``), in float64; ``churn score`` uses the ONNX copy of the same
version, in float32. The two agree within the ONNX export's tolerance (1e-5, checked at export);
``tests/examples/test_spark_scoring.py`` measures the difference.

What it does not do: the row-by-row contract check of ``churn score``. Check the table first
(``churn validate``, or the pipeline's validation on the cluster) and give this clean data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from churn.contract import feature_columns
from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

DEFAULT_MASTER = "local[2]"


def local_session(master: str = DEFAULT_MASTER, app_name: str = "churn-scoring") -> Any:
    """A Spark session on this machine (``local[2]``: two worker threads), without its web UI.

    The Python workers run this interpreter (``PYSPARK_PYTHON``), so they import the same packages.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())


def check_pyfunc_answers_probabilities(model_uri: str) -> None:
    """Refuse a version whose pyfunc answers labels (registered before ``churn train`` logged ``predict_proba``).

    Raises:
        LookupError: The version's pyfunc predicts labels; retrain and promote a model.
    """
    from mlflow.models import get_model_info

    predict_fn = get_model_info(model_uri).flavors.get("python_function", {}).get("predict_fn", "predict")
    if predict_fn != "predict_proba":
        raise LookupError(f"{model_uri}: its pyfunc answers {predict_fn}(), labels, not probabilities; it was "
                          "registered by an older churn train: train and promote a model again")


# --8<-- [start:score_dataframe]
def score_dataframe(spark: Any, customers: Any, model_uri: str = "models:/churn@champion",
                    threshold: float = 0.35) -> Any:
    """Add ``churn_probability`` and ``churn`` to a Spark DataFrame of validated customers.

    Args:
        spark: The session.
        customers: The contract's columns (``Churn`` may be there; it is not used).
        model_uri: Any MLflow model URI; by default the registry's champion.
        threshold: The decision threshold (the version's ``threshold`` tag in ``churn score``).
    """
    import mlflow
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, DoubleType

    check_pyfunc_answers_probabilities(model_uri)
    # predict_proba's two columns, P(stay) and P(churn): "double" would take the leftmost, P(stay)
    model = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local", result_type=ArrayType(DoubleType()))
    total = F.trim(F.col("TotalCharges").cast("string"))
    features = {name: F.col(name).cast("double") for name in NUMERIC_COLUMNS}
    features["TotalCharges"] = F.when(total == "", features["tenure"] * features["MonthlyCharges"]).otherwise(
        total.cast("double"))  # churn predict's rule for a blank: 0 in the first month, else tenure x monthly
    features |= {name: F.col(name).cast("string") for name in CATEGORICAL_COLUMNS}
    inputs = F.struct(*[features[name].alias(name) for name in feature_columns()])  # the signature's order
    probability = model(inputs)[1]
    return (customers.select("customerID", probability.alias("churn_probability"))
            .withColumn("churn", F.col("churn_probability") >= F.lit(threshold)))
# --8<-- [end:score_dataframe]


def score_file_on_spark(spark: Any, input_path: str | Path, output_path: str | Path,
                        model_uri: str = "models:/churn@champion", threshold: float = 0.35) -> int:
    """Score a Parquet or CSV file (header, comma) with Spark and write the scores as a Parquet folder.

    Returns:
        The number of rows scored.
    """
    input_path = str(input_path)
    reader = spark.read
    customers = (reader.parquet(input_path) if input_path.endswith(".parquet")
                 else reader.option("header", True).option("inferSchema", False).csv(input_path))
    scores = score_dataframe(spark, customers, model_uri, threshold)
    scores.write.mode("overwrite").parquet(str(output_path))
    return spark.read.parquet(str(output_path)).count()
