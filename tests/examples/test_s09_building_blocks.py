"""Lecture 9.2: the churn pipeline's building blocks, read from its Dagster definitions, and one run in process.

The lab's shell steps are read from the page and run in one bash session, as a student runs them:
list the DAG, list the triggers, materialise the seven training assets in a scratch folder, list the
stored outputs. The page's output block must be the lines of that real run, in order (``…`` for the
run id). The script's functions then run in this process (the regions the page includes), against
the definitions themselves: the DAG's edges, the triggers, a successful run into a folder of the
test's and a run that stops at validation.
"""

from __future__ import annotations

import re
import runpy

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session

dg = pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                           "pip install -e 'examples[pipeline]'")

pytestmark = pytest.mark.lab  # a pipeline run as a process of its own

PAGE = LecturePage.of("9.2")
SCRIPT = ROOT / "examples/lectures/s09/pipeline_dag.py"
ORDER = ["raw_customers", "validated_customers", "training_data", "trained_model", "evaluation_metrics",
         "registered_challenger", "promotion_decision"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session."""
    base = tmp_path_factory.mktemp("lab92")
    return run_session("\n".join(PAGE.steps()), base)


@pytest.fixture(scope="module")
def script():
    """The lecture script's functions, loaded in this process (not as __main__)."""
    return runpy.run_path(str(SCRIPT))


def test_the_page_shows_the_real_output_of_the_lab_in_order(lab):
    assert lab.returncode == 0, lab.stdout[-3000:] + lab.stderr[-3000:]
    real = lab.stdout.splitlines()
    position = 0
    for line in PAGE.output_block("Output of steps 1 to 4", prefix=True):
        pattern = as_pattern(line)
        found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
        assert found is not None, f"{PAGE.name}: not in the lab's run after line {position}: {line!r}"
        position = found + 1
    assert re.search(r"^real\s+\d+m[\d.]+s$", lab.stderr, re.MULTILINE), "step 3 times the run"
    assert "Traceback" not in lab.stderr


def test_the_dag_lists_the_assets_upstream_first_with_their_edges(script):
    from churn.pipeline.definitions import defs

    lines = script["dag_lines"](defs)
    assert [line.split()[0] for line in lines] == ORDER
    rows = {line.split()[0]: " ".join(line.split()) for line in lines}
    assert rows["training_data"] == "training_data <- validated_customers -> 3", "fan-out to three assets"
    assert rows["evaluation_metrics"].startswith("evaluation_metrics <- trained_model, training_data "), "fan-in"
    assert "after evaluation_metrics" in rows["registered_challenger"], "deps=: an edge that passes no data"
    assert "13 checks" in rows["validated_customers"]


def test_the_triggers_are_the_definitions_schedules_and_sensor(script):
    from churn.pipeline.definitions import defs

    lines = script["trigger_lines"](defs)
    assert "schedule monthly_retraining: '0 20 1 * *' UTC -> churn_training" in lines
    assert "schedule weekly_scoring: '0 2 * * 1' UTC -> churn_scoring" in lines
    assert "sensor retrain_signal_sensor: every 60 s -> churn_training" in lines
    assert lines[-1].startswith("manual: ")


def test_a_run_in_process_records_every_step_in_order_and_stores_each_output(script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts the run's artifacts under ./mlruns
    success, lines = script["run_record"](tmp_path, 2000)
    assert success, "\n".join(lines)
    steps = [line.split()[1] for line in lines if line.strip().startswith("STEP_SUCCESS")]
    assert steps == ORDER
    assert lines[-1] == "checks: 12 passed, 1 did not (contract_blank_in_first_month WARN)"
    assert sorted(path.name for path in (tmp_path / "storage").iterdir()) == sorted(ORDER)
    assert (tmp_path / "mlflow.db").is_file()


def test_a_run_on_broken_data_names_the_failed_step(script, tmp_path, monkeypatch):
    import churn.pipeline.steps
    from churn.generate import generate_customers

    def without_contract(rows, seed):
        return generate_customers(rows, seed=seed).drop(columns=["Contract"])

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(churn.pipeline.steps, "generate_customers", without_contract)
    success, lines = script["run_record"](tmp_path, 500)
    assert not success and lines[0].endswith(": FAILURE")
    assert [line.split()[:2] for line in lines[1:3]] == [["STEP_SUCCESS", "raw_customers"],
                                                          ["STEP_FAILURE", "validated_customers"]]
    assert "contract_missing_column ERROR" in lines[-1]
    assert not (tmp_path / "mlflow.db").exists(), "nothing after validation ran"


def test_bad_arguments_exit_2_with_a_message_and_no_traceback(script, tmp_path, capsys):
    main = script["main"]
    assert main(["run", "--folder", str(tmp_path / "nowhere")]) == 2
    assert "argument --folder: " in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--rows", "ten"])
    assert exit_info.value.code == 2
    assert "at least 500 (got 'ten')" in capsys.readouterr().err
    assert main([]) == 0 and capsys.readouterr().out.startswith("raw_customers ")
