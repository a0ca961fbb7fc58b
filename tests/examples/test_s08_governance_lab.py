"""Lecture 8.6: who may promote a churn model and how the decision is recorded, and its lab.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a
pytest folder: train version 1, refuse its promotion without an approver, promote it with one, train
the tuned config and run the gate, promote version 2, read the record with ``approval_record.py``,
verify the audit log, forge an entry and verify again, then roll back without and with an approver.
The script's functions then run in this process on the lab's store, so the region the page includes
is measured, and the page's output block is compared with what the lab printed.
"""

from __future__ import annotations

import json
import re
import runpy

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # two trainings, a gate, three promotions and two rollbacks, each a process

PAGE = LecturePage.of("8.6")
SCRIPT = ROOT / "examples/lectures/s08/approval_record.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab86")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def _collapsed(line: str) -> str:
    return " ".join(line.split())


def test_the_lab_refuses_promotes_and_rolls_back_with_an_approver(lab):
    result, folder = lab
    out, err = result.stdout, result.stderr
    assert re.findall(r"^exit code: (\d+)$", out, re.MULTILINE) == ["1", "0", "1", "1"], \
        "refused without approver, gate passed, tampered log, rollback without approver"
    assert "churn promote: refused: promotion needs an approval" in err
    assert "churn rollback: refused: a rollback needs an approval" in err
    assert "PROMOTED: challenger v1 roc_auc=0.8682 vs no champion yet" in out
    assert ("PASSED THE GATE, NOT PROMOTED YET: challenger v2 roc_auc=0.8733 vs champion v1 roc_auc=0.8682"
            in out), "step 3: the tuned config passes the gate, as the page says"
    assert "PROMOTED: challenger v2 roc_auc=0.8733 vs champion v1 roc_auc=0.8682" in out
    assert "registry anchors: 2 approval(s) of 'churn' found in the log" in out
    assert "TAMPERED at line 2 (seq 2): hash mismatch" in err, "step 6: the forged actor is found"
    assert "champion: v2 -> v1" in out
    assert re.search(r"intact, 5 entries", out) and re.search(r"intact, 7 entries", out)
    assert "Traceback" not in err, err[-3000:]
    savings = [json.loads((folder / f"v{n}.json").read_text())["metrics"]["saving_per_1000"] for n in (1, 2)]
    assert savings == [95225.0, 92525.0], "the page's numbers: the tuned model saves less"


def test_the_page_shows_what_the_lab_printed(lab):
    result, _ = lab
    lines = [_collapsed(line) for line in result.stdout.splitlines()]
    block = [as_pattern(_collapsed(line)) for line in PAGE.output_block("Output of step 5")]
    start = next(i for i, line in enumerate(lines) if line.startswith("version aliases"))
    shown = lines[start : start + len(block)]
    assert all(pattern.fullmatch(line) for pattern, line in zip(block, shown, strict=True)), shown


def test_the_record_is_on_the_versions_and_in_the_log(lab):
    _, folder = lab
    from churn.governance.audit import read_entries
    from churn.registry import registry_client

    client = registry_client(f"sqlite:///{folder / 'mlflow.db'}")
    v2 = client.get_model_version("churn", "2")
    assert v2.tags["approved_by"] == "ana" and v2.tags["approval_reason"] == "tuned model, higher ROC AUC"
    assert v2.tags["rolled_back_by"] == "ana" and "rolled_back_at" in v2.tags
    gate = json.loads(v2.tags["gate_result"])
    assert gate["passed"] and gate["challenger_metrics"]["saving_per_1000"] == 92525.0, "the approver had it"
    entries = read_entries(folder / "governance/audit.jsonl")
    assert [entry["event"] for entry in entries] == ["promotion_refused", "approval", "promotion", "approval",
                                                     "promotion", "rollback_refused", "rollback"]
    approval = entries[3]
    assert v2.tags["audit_seq"] == str(approval["seq"]) and v2.tags["audit_hash"] == approval["hash"]
    assert entries[4]["seq"] > approval["seq"], "the approval is written before the promotion"


def test_the_script_runs_in_process_on_the_lab_store(lab, capsys, monkeypatch):
    _, folder = lab
    monkeypatch.chdir(folder)
    functions = runpy.run_path(str(SCRIPT))
    assert functions["main"](["--tracking-uri", f"sqlite:///{folder / 'mlflow.db'}"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out and "rollback" in out
    rows = functions["version_rows"](f"sqlite:///{folder / 'mlflow.db'}")
    assert [(row["aliases"], row["approved_by"]) for row in rows] == [("champion", "ana"), ("-", "ana")]
    rows[1]["trained_by"] = "ana"
    assert functions["duty_warnings"](rows) == ["v2: approved by ana, who also trained it"]
    assert functions["main"](["--tracking-uri", "sqlite:///typo.db"]) == 2
    assert "no such store" in capsys.readouterr().err and not (folder / "typo.db").exists()
