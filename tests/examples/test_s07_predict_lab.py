"""Lecture 7.2: the predict() contract, and its lab run as a student runs it.

The lab's shell steps are read from the page and run in one bash session, with ``churn`` on the
PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a pytest folder: train,
promote, then ``churn predict`` on a good file (exit 0), a file with NaN and one with an unknown
category (exit 1, refused by the contract) and a mistyped file name (exit 2, bad input). The output
blocks of the page must be lines of that real run. The lecture script of step 1 runs in this
process (``runpy``), so the regions the page includes from it are measured.
"""

from __future__ import annotations

import json
import re
import runpy

import pytest
from churn.cli import EXIT_OK, main

from tests.examples.lab_session import ROOT, LecturePage, run_session, scratch_folder

pytestmark = pytest.mark.lab  # train, promote and four predicts, each a process of its own

PAGE = LecturePage.of("7.2")
SCRIPT = ROOT / "examples/lectures/s07/what_predict_refuses.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab but the script of step 1, in order, in one bash session."""
    base = tmp_path_factory.mktemp("lab72")
    steps = [step for step in PAGE.steps() if not step.startswith("python ")]
    return run_session("\n".join(steps), base), base


def test_the_lab_runs_every_churn_step_of_the_page(lab):
    result, base = lab
    assert result.returncode == 0, result.stderr
    scratch_folder(base, "mlflow.db")  # step 2 trains in one scratch folder made by mktemp -d
    codes = [int(code) for code in re.findall(r"^exit code: (\d+)$", result.stdout, re.MULTILINE)]
    assert codes == [0, 1, 1, 2], result.stdout + result.stderr
    assert '"version": "1"' in result.stdout, "step 2: churn train prints the version it registered"
    assert "PROMOTED: challenger v1" in result.stdout, "step 2: churn promote prints its verdict"


def test_the_page_shows_the_real_output_of_the_lab(lab):
    result, _ = lab
    real = (result.stdout + result.stderr).splitlines()
    for line in PAGE.output_block("Output of steps 3 to 6 (progress bars left out)"):
        assert line in real, f"{PAGE.name}: this line of the output block is not in the lab's run: {line!r}"


def test_predict_answers_json_with_the_version_and_the_decision(lab, capsys):
    _, base = lab
    code = main(
        [
            "predict",
            str(ROOT / "examples/lectures/s04/customer.json"),
            "--tracking-uri",
            f"sqlite:///{scratch_folder(base, 'mlflow.db') / 'mlflow.db'}",
        ]
    )
    assert code == EXIT_OK
    answer = json.loads(capsys.readouterr().out)
    assert answer == {
        "customerID": "7590-VHVEG",
        "churn_probability": pytest.approx(0.715314, abs=1e-6),
        "churn": True,
        "model_version": "1",
    }


@pytest.fixture(scope="module")
def script():
    namespace = runpy.run_path(str(SCRIPT))
    sklearn, onnx = namespace["trained_predictors"]()
    return namespace, sklearn, onnx


def test_the_bare_models_score_what_predict_refuses(script):
    namespace, sklearn, onnx = script
    table = namespace["table"](sklearn, onnx)
    assert set(table) == {"as given", "MonthlyCharges NaN", "unknown PaymentMethod"}
    given = table["as given"]
    assert given["predict()"] == given["ONNX alone"] == given["scikit-learn alone"]
    assert table["MonthlyCharges NaN"]["ONNX alone"] == "nan", "ONNX Runtime returns NaN for a NaN input"
    assert table["MonthlyCharges NaN"]["scikit-learn alone"].startswith("ValueError: Input X contains NaN")
    wallet = table["unknown PaymentMethod"]
    assert float(wallet["ONNX alone"]) > 0 and wallet["ONNX alone"] == wallet["scikit-learn alone"], (
        "an unknown category is one-hot encoded as all zeros and scored, silently"
    )
    assert table["MonthlyCharges NaN"]["predict()"] == "refused: MonthlyCharges: required (value is missing)"
    assert wallet["predict()"].startswith("refused: PaymentMethod: allowed values ('Digital wallet' not in")


def test_onnx_serves_the_probabilities_of_the_pipeline(script):
    namespace, sklearn, onnx = script
    assert namespace["largest_difference"](sklearn, onnx) < 1e-5


def test_the_page_shows_the_real_output_of_the_script(capsys):
    runpy.run_path(str(SCRIPT), run_name="__main__")
    real = capsys.readouterr().out.splitlines()
    shown = PAGE.output_block("Output of step 1")
    assert shown[:-1] == real[:-1], "the page shows the script's table as it prints it"
    assert real[-1].startswith("1,000 generated customers: largest |ONNX - scikit-learn| = ")
    assert shown[-1].startswith("1,000 generated customers: largest |ONNX - scikit-learn| = ")


def test_the_served_predictor_pickles_as_the_model_it_scores_with(script):
    import pickle

    _, _, onnx = script
    restored = pickle.loads(pickle.dumps(onnx))
    record = dict(json.loads((ROOT / "examples/lectures/s04/customer.json").read_text()))
    assert restored.model_version == onnx.model_version and restored.threshold == onnx.threshold
    assert restored.predict_records([record]) == onnx.predict_records([record])
