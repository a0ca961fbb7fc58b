"""Lectures 3.2 and 3.6: the labs' `churn` commands run as printed, in one scratch folder, in order.

The commands are read from the lecture pages themselves, so a page cannot show a command that this
test does not run. They run in-process through ``churn.cli.main`` (the ``churn`` entry point).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from churn.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "3.2": ROOT / "docs/course/03-ml-lifecycle/3.2-ml-lifecycle.md",
    "3.6": ROOT / "docs/course/03-ml-lifecycle/3.6-mlops-responsibilities.md",
}
FENCE = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def lab_commands(page: Path) -> list[str]:
    """The `churn ...` lines of the bash fences in the page's Lab section, in order."""
    text = page.read_text(encoding="utf-8")
    lab = text[text.index("\n## Lab"):]
    lab = lab[:lab.index("\n## ", 1)]
    return [line.strip() for block in FENCE.findall(lab) for line in block.splitlines()
            if line.strip().startswith("churn ")]


def test_the_pages_show_these_commands():
    assert lab_commands(PAGES["3.2"]) == [
        "churn generate --output customers.csv",
        "churn validate customers.csv",
        "churn train --data customers.csv",
        'churn promote --data customers.csv --approved-by ana --reason "first model, meets the minimums"',
        "churn generate --rows 5 --seed 2 --output this-week.csv",
        "churn predict this-week.csv",
    ]
    assert lab_commands(PAGES["3.6"]) == [
        "churn train --data customers.csv",
        'churn promote --data customers.csv --approved-by ana --reason "monthly retraining"']


@pytest.fixture
def scratch_folder(tmp_path, monkeypatch):
    import mlflow

    previous = mlflow.get_tracking_uri()
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    mlflow.set_tracking_uri(previous)  # the lab's relative sqlite:///mlflow.db must not outlive the folder


def run(command: str, capsys, errors: dict[str, str] | None = None) -> tuple[int, str]:
    code = main(shlex.split(command)[1:])
    out, err = capsys.readouterr()
    if errors is not None:
        errors[command.split()[1]] = err
    return code, out


def test_one_turn_of_the_lifecycle_then_a_refused_promotion(scratch_folder, capsys):
    outputs, errors = {}, {}
    for command in lab_commands(PAGES["3.2"]):
        code, out = run(command, capsys, errors)
        assert code == 0, f"{command}: exit {code}\n{out}"
        outputs[command.split()[1]] = outputs.get(command.split()[1], "") + out
    summary = next(line for line in errors["train"].splitlines() if line.startswith("validation: "))
    assert summary == ("validation: 10000 rows in, 0 rows dropped, 13 values fixed (TotalCharges blank in first "
                       "month: 13); the full report is logged to the run as validation_report.txt")
    assert f"    {summary}\n" in PAGES["3.2"].read_text(encoding="utf-8"), "step 4's output shows the summary"
    assert "wrote 10000 rows to customers.csv" in outputs["generate"]
    assert "rows out: OK" in outputs["validate"] and "blank in first month | 13 " in outputs["validate"]
    trained = json.loads(outputs["train"])
    assert trained["version"] == "1" and trained["metrics"]["roc_auc"] == 0.8682
    assert outputs["promote"].startswith("PROMOTED: challenger v1") and "meets the minimums" in outputs["promote"]
    scored = [json.loads(line) for line in outputs["predict"].splitlines()]
    assert len(scored) == 5 and {row["model_version"] for row in scored} == {"1"}
    assert [row["customerID"] for row in scored if row["churn"]] == ["1466-JQSNP", "7035-TTTWK"]
    assert (scratch_folder / "mlflow.db").is_file()
    assert "approved by ana; recorded in the audit log" in outputs["promote"]

    train, promote = lab_commands(PAGES["3.6"])
    code, out = run(train, capsys)
    assert code == 0 and json.loads(out)["version"] == "2"
    code, out = run(promote, capsys)
    assert code == 1  # refused: the gate's exit code
    assert out.startswith("NOT PROMOTED: challenger v2 roc_auc=0.8682 vs champion v1 roc_auc=0.8682")
    assert "roc_auc does not beat the champion by the margin 0.002" in out


def test_the_gate_names_every_reason_it_refuses():
    from churn.config import load_config
    from churn.registry import passes_gate

    config = load_config(None)
    weak = {"roc_auc": 0.74, "pr_auc": 0.44}
    promoted, reasons = passes_gate(weak, {"roc_auc": 0.8682, "pr_auc": 0.6754}, config)
    assert not promoted
    assert reasons == ["ROC AUC 0.7400 is below the minimum 0.75", "PR AUC 0.4400 is below the minimum 0.45",
                       "roc_auc does not beat the champion by the margin 0.002"]
    assert passes_gate({"roc_auc": 0.875, "pr_auc": 0.68}, {"roc_auc": 0.8682, "pr_auc": 0.6754}, config) == (
        True, ["meets the minimums and beats the champion"])
