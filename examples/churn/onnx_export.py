"""Export the fitted scikit-learn pipeline to ONNX, so the service scores without scikit-learn.

Why: scikit-learn's per-call overhead on a one-row DataFrame is about 8 ms, most of a naive
``/predict``; ONNX Runtime runs the same pipeline (scaler, one-hot encoder, model) in tens of
microseconds. The export is checked against the original: ``tests/examples/test_model.py`` and
``tests/examples/test_model_kinds.py`` assert the probabilities agree within 1e-5, for every model
kind the configuration accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


class ExportError(RuntimeError):
    """The fitted pipeline could not be converted to ONNX; nothing was logged or registered."""


class _IntegerFlags:
    """A converter container that turns boolean flags into the integers ONNX's attribute expects.

    skl2onnx 1.20 fills ``nodes_missing_value_tracks_true`` of a HistGradientBoosting tree with
    Python ``False`` for leaves (and 0/1 integers for splits); the protobuf runtime under onnx 1.23
    refuses a bool in an integer list (``Expected an int, got a boolean``). Every other call goes to
    the real container unchanged.
    """

    def __init__(self, container: Any):
        self._container = container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def add_node(self, *args: Any, **attributes: Any) -> Any:
        flags = attributes.get("nodes_missing_value_tracks_true")
        if flags is not None:
            attributes["nodes_missing_value_tracks_true"] = [int(flag) for flag in flags]
        return self._container.add_node(*args, **attributes)


def _convert_hist_gradient_boosting(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.operator_converters.random_forest import convert_sklearn_random_forest_classifier

    convert_sklearn_random_forest_classifier(scope, operator, _IntegerFlags(container))


def register_converters() -> None:
    """Register the project's HistGradientBoostingClassifier converter with skl2onnx (idempotent).

    It is skl2onnx's own converter, registered with skl2onnx's documented
    ``update_registered_converter`` and the same options, given a container that casts the
    boolean flags (``_IntegerFlags``).
    """
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from sklearn.ensemble import HistGradientBoostingClassifier

    update_registered_converter(
        HistGradientBoostingClassifier, "ChurnHistGradientBoostingClassifier",
        calculate_linear_classifier_output_shapes, _convert_hist_gradient_boosting,
        options={"zipmap": [True, False, "columns"], "raw_scores": [True, False],
                 "output_class_labels": [False, True], "nocl": [True, False]})


# --8<-- [start:to_onnx]
def to_onnx(pipeline: Pipeline) -> bytes:
    """Convert a fitted pipeline of [churn.features.build_pipeline][] to an ONNX model.

    Each feature column becomes one named input: float for numbers, string for categories.

    Raises:
        ExportError: The converter failed; its message is one line.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    register_converters()
    inputs = [(name, FloatTensorType([None, 1])) for name in NUMERIC_COLUMNS]
    inputs += [(name, StringTensorType([None, 1])) for name in CATEGORICAL_COLUMNS]
    model = pipeline.steps[-1][1]
    try:
        onnx_model = convert_sklearn(pipeline, initial_types=inputs, options={id(model): {"zipmap": False}})
    except Exception as error:  # skl2onnx raises many types, some with messages of thousands of lines
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ExportError(f"cannot export {type(model).__name__} to ONNX ({reason}); "
                          f"nothing was logged or registered") from None
    return onnx_model.SerializeToString()
# --8<-- [end:to_onnx]
