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
import os
import re
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from churn.cli import EXIT_OK, main

pytestmark = pytest.mark.lab  # train, promote and four predicts, each a process of its own

ROOT = Path(__file__).resolve().parents[2]
PAGE = next((ROOT / "docs/course").glob("07-*/7.2-*.md"))
SCRIPT = ROOT / "examples/lectures/s07/what_predict_refuses.py"


def page_section(heading: str) -> str:
    """The text of the page's ``## heading...`` section, up to the next ``##`` heading."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def fences(text: str, language: str) -> list[str]:
    """The bodies of the ```language fences in ``text``, dedented (lab steps are indented by four spaces)."""
    pattern = re.compile(rf"^( *)```{language}[^\n]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent) :] for line in body.splitlines()) for indent, body in pattern.findall(text)]


def output_block(title: str) -> list[str]:
    """The lines of the page's ```text fence titled ``title``."""
    match = re.search(
        rf'^( *)```text title="{re.escape(title)}"\n(.*?)^\1```',
        PAGE.read_text(encoding="utf-8"),
        re.MULTILINE | re.DOTALL,
    )
    assert match, f"{PAGE.name} has no output block titled {title!r}"
    return [line[len(match.group(1)) :] for line in match.group(2).splitlines()]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab but the script of step 1, in order, in one bash session."""
    base = tmp_path_factory.mktemp("lab72")
    shim = base / "bin" / "churn"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m churn.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    steps = [step for step in fences(page_section("Lab"), "bash") if not step.startswith("python ")]
    env = {name: value for name, value in os.environ.items() if name not in ("MLFLOW_TRACKING_URI", "CHURN_AUDIT_LOG")}
    env |= {"PATH": f"{shim.parent}{os.pathsep}{env.get('PATH', '')}", "TMPDIR": str(base)}
    result = subprocess.run(
        ["bash", "-c", "\n".join(steps)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    folders = [path.parent for path in base.glob("*/mlflow.db")]
    return result, folders


def test_the_lab_runs_every_churn_step_of_the_page(lab):
    result, folders = lab
    assert result.returncode == 0, result.stderr
    assert len(folders) == 1, "step 2 trains in one scratch folder made by mktemp -d"
    codes = [int(code) for code in re.findall(r"^exit code: (\d+)$", result.stdout, re.MULTILINE)]
    assert codes == [0, 1, 1, 2], result.stdout + result.stderr
    assert '"version": "1"' in result.stdout, "step 2: churn train prints the version it registered"
    assert "PROMOTED: challenger v1" in result.stdout, "step 2: churn promote prints its verdict"


def test_the_page_shows_the_real_output_of_the_lab(lab):
    result, _ = lab
    real = (result.stdout + result.stderr).splitlines()
    for line in output_block("Output of steps 3 to 6 (progress bars left out)"):
        assert line in real, f"{PAGE.name}: this line of the output block is not in the lab's run: {line!r}"


def test_predict_answers_json_with_the_version_and_the_decision(lab, capsys):
    _, folders = lab
    code = main(
        [
            "predict",
            str(ROOT / "examples/lectures/s04/customer.json"),
            "--tracking-uri",
            f"sqlite:///{folders[0] / 'mlflow.db'}",
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
    shown = output_block("Output of step 1")
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
