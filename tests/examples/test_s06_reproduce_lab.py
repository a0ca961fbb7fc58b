"""Lecture 6.6: reproduce a tracked run from its record, and measure what breaks a reproduction.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a
pytest folder: generate 1,000 customers, train the default config into a SQLite store, reproduce
the run, refuse reversed rows, an unknown run id and a mistyped file, then measure six changes.
The scripts' functions then run in this process on the lab's store, so the regions the page
includes are measured, and the page's output blocks are compared with what the lab printed.
"""

from __future__ import annotations

import json
import re
import runpy

import pytest

from tests.examples.lab_session import ROOT, LecturePage, run_session, scratch_folder

pytestmark = pytest.mark.lab  # a training, two reproductions and twelve trainings, each a process of its own

PAGE = LecturePage.of("6.6")
REPRODUCE = ROOT / "examples/lectures/s06/reproduce_run.py"
BREAKS = ROOT / "examples/lectures/s06/what_breaks_it.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab66")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def test_the_lab_reproduces_the_run_and_refuses_bad_input(lab):
    result, folder = lab
    out, err = result.stdout, result.stderr
    assert "wrote 1000 rows to customers.csv" in out, err
    run = json.loads((folder / "run.json").read_text())
    assert run["version"] == "1" and run["metrics"]["roc_auc"] == 0.8823, "step 2 as the page says"
    assert "reproduced: every metric identical" in out, err
    assert re.findall(r"^exit code: (\d+)$", out, re.MULTILINE) == ["2", "2", "2"], "steps 4 and 5 are refused"
    assert ("error: reversed.csv: data fingerprint 28c64dec0a05 is not the run's 8b83b2d3c0f6; "
            "this is other data, so the metrics cannot be expected to match") in err
    assert "error: sqlite:///mlflow.db: no run with id '0123456789abcdef'" in err
    assert "error: customer.csv: no such file" in err
    assert "Traceback" not in err


def test_the_page_shows_what_the_lab_printed(lab):
    result, _ = lab
    printed = result.stdout.splitlines()
    shown = PAGE.output_block("Output of step 3", prefix=True)
    assert shown[0].startswith("run ") and shown[3].startswith("code: run at "), "run id and commit lines"
    start = printed.index(shown[1]) - 1
    lab_lines = printed[start : start + len(shown)]
    assert lab_lines[0].startswith("run ") and lab_lines[0].endswith(shown[0].split(":", 1)[1])
    assert lab_lines[3].startswith("code: run at ") and "(dirty: " in lab_lines[3]
    assert lab_lines[1:3] + lab_lines[4:] == shown[1:3] + shown[4:], "the page's step 3, run id and commit aside"
    table = PAGE.output_block("Output of step 6", prefix=True)
    start = printed.index(table[0])
    assert printed[start : start + len(table)] == table, "the page's table of changes is what step 6 printed"


def test_the_reproduction_runs_in_process_on_the_lab_store(lab, capsys, monkeypatch):
    _, folder = lab
    monkeypatch.chdir(folder)
    main = runpy.run_path(str(REPRODUCE))["main"]
    run_id = json.loads((folder / "run.json").read_text())["run_id"]
    assert main([run_id, "--tracking-uri", "sqlite:///mlflow.db"]) == 0, "data.path of the run is customers.csv"
    out = capsys.readouterr().out
    assert "slice metrics: 40 of 40 identical" in out
    assert "held-out scores of the recorded model and the retrained one: identical" in out
    assert main([run_id, "--tracking-uri", "sqlite:///typo.db"]) == 2
    assert "no such database file" in capsys.readouterr().err and not (folder / "typo.db").exists()


def test_the_checks_refuse_another_environment_and_report_a_changed_metric():
    functions = runpy.run_path(str(REPRODUCE))
    with pytest.raises(functions["CannotReproduce"], match=r"scikit-learn 1\.8\.0 recorded, 1\.9\.1 installed"):
        functions["check_environment"](["scikit-learn==1.8.0", "numpy==2.4.6"])
    with pytest.raises(functions["CannotReproduce"], match=r"no-such-package 1\.0 recorded, not installed"):
        functions["check_environment"](["no-such-package==1.0"])
    lines, differ = functions["compare_metrics"]({"roc_auc": 0.88, "slice.a.roc_auc": 0.8},
                                                 {"roc_auc": 0.8799, "slice.a.roc_auc": 0.8})
    assert differ == 1 and lines[1].endswith("NO") and lines[-1] == "slice metrics: 1 of 1 identical"


def test_other_data_is_refused_naming_both_fingerprints():
    from churn.config import load_config

    functions = runpy.run_path(str(REPRODUCE))
    config = load_config(None, data={"generated_rows": 500})
    with pytest.raises(functions["CannotReproduce"], match=r"generated:500: data fingerprint [0-9a-f]{12} is not "
                                                           r"the run's 000000000000; this is other data"):
        functions["check_data"](config, None, "0" * 64)


def test_the_config_comes_back_from_the_params():
    from churn.config import load_config
    from churn.tracking import _flat_params

    rebuild = runpy.run_path(str(REPRODUCE))["config_from_params"]
    for name in ("default.yaml", "tuned.yaml"):
        config = load_config(ROOT / "examples/configs" / name)
        params = {key: str(value) for key, value in _flat_params(config).items()}  # as MLflow stores them
        assert rebuild(params).model_dump(exclude={"tracking"}) == config.model_dump(exclude={"tracking"})


def test_what_breaks_it_runs_in_process(monkeypatch, tmp_path):
    functions = runpy.run_path(str(BREAKS))
    every = functions["changes"](tmp_path)
    assert [name for name, _, _ in every] == ["rows in reverse order", "one value edited by 0.01", "seed 42 -> 7",
                                              "same table as Parquet", "random_forest n_jobs 1 -> 2",
                                              "tuned HGB, 1 thread -> 2"]
    measure = functions["measure"]
    monkeypatch.setitem(measure.__globals__, "changes", lambda folder: every[3:4])  # one change keeps it quick
    lines = measure(tmp_path)
    assert lines[1].split()[-6:] == ["same", "0", "of", "47", "0.000000", "same"], lines
