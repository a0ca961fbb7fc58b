"""Lecture 6.4: what a run records, read back from a real run, and the lab run as a student runs it.

The lecture script runs in this process (so the regions the page includes from it are measured),
keeping its tracking store in a pytest folder, which must hold what the page says (a finished run,
a LoggedModel, three child runs of one parent). It runs once more as a student runs it, in a process
of its own, and its output must match the page's output block line for line (``…`` stands for an
id, a path or the state of the Git tree). The lab's shell steps
but the first are read from the page and run in one bash session, with ``churn`` on the PATH as this
interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a pytest folder.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session

pytestmark = pytest.mark.lab  # a training run in process and a churn train in a process of its own

PAGE = LecturePage.of("6.4")
SCRIPT = ROOT / "examples/lectures/s06/what_a_run_records.py"


def has_git_remote() -> bool:
    """Whether this checkout has a Git remote (a clone has ``origin``; a bare ``git init`` has none)."""
    remotes = subprocess.run(["git", "remote"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    return bool(remotes.strip())


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    """Run the script's ``main`` here, keeping the store; return its namespace, output and folder."""
    folder = tmp_path_factory.mktemp("lecture64") / "store"
    namespace = runpy.run_path(str(SCRIPT))
    buffer = StringIO()
    with redirect_stdout(buffer):
        code = namespace["main"](["--keep", str(folder)])
    return namespace, code, buffer.getvalue().splitlines(), folder


def test_the_script_keeps_its_store_when_asked(script):
    _, code, lines, folder = script
    assert code == 0
    assert lines[0].startswith("RUN ") and lines[-1] == (
        f"kept: MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ui --backend-store-uri sqlite:///{folder}/mlflow.db")


def test_the_page_shows_the_real_output_of_step_1(tmp_path):
    """Run as the student runs it: under pytest, MLflow would tag the run with pytest's source, not the script's."""
    env = {name: value for name, value in os.environ.items() if name != "MLFLOW_TRACKING_URI"}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    page = PAGE.output_block("Output of step 1 (ids and paths shortened to …)")
    if not has_git_remote():  # the page shows a student's clone; MLflow records a repoURL only from a remote
        page = [line.replace("TAGS (12)", "TAGS (11)") for line in page if "mlflow.source.git.repoURL" not in line]
    assert len(lines) == len(page), result.stdout
    for number, (shown, real) in enumerate(zip(page, lines, strict=True), start=1):
        assert as_pattern(shown).fullmatch(real), f"{PAGE.name}: step 1 line {number}: page {shown!r}, real {real!r}"
    assert not list(tmp_path.iterdir()), "without --keep the script deletes its store"


def test_the_store_holds_a_finished_run_a_logged_model_and_three_children(script):
    import mlflow

    _, _, _, folder = script
    client = mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("churn")
    runs = client.search_runs([experiment.experiment_id])
    parents = [run for run in runs if run.info.run_name == "split-seeds"]
    children = [run for run in runs if run.data.tags.get("mlflow.parentRunId")]
    assert len(parents) == 1 and len(children) == 3
    assert {run.data.tags["mlflow.parentRunId"] for run in children} == {parents[0].info.run_id}
    training = [run for run in runs if "data_fingerprint" in run.data.tags]
    assert len(training) == 1 and training[0].info.status == "FINISHED"
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    models = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list")
    assert [model.source_run_id for model in models] == [training[0].info.run_id]


def test_bad_input_is_one_error_line_and_exit_code_2(script, tmp_path, capsys):
    namespace = script[0]
    assert namespace["main"](["--rows", "50"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: --rows 50: data.generated_rows:") and "Traceback" not in error
    file = tmp_path / "a-file"
    file.write_text("")
    assert namespace["main"](["--keep", str(file)]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run the lab's shell steps but the first (the script, run in process above), in one bash session."""
    base = tmp_path_factory.mktemp("lab64")
    steps = PAGE.steps()
    assert steps[0].startswith("time python examples/lectures/s06/what_a_run_records.py")
    result = run_session("\n".join(steps[1:]), base)
    return result, [path.parent for path in base.glob("*/mlflow.db")]


def test_the_lab_steps_run_and_show_the_page_output(lab):
    result, folders = lab
    assert result.returncode == 0, result.stderr
    real = (result.stdout + result.stderr).splitlines()
    for line in PAGE.output_block("Output of step 2"):
        assert line in real, f"{PAGE.name}: this line of step 2's output is not in the lab's run: {line!r}"
    assert len(folders) == 1, "step 3 trains in one scratch folder made by mktemp -d"
    assert sorted(path.name for path in folders[0].iterdir()) == ["mlflow.db", "mlruns", "run.json"]
    files = [line for line in result.stdout.splitlines() if line.startswith("mlruns/")]
    assert len(files) == 14, files
    assert sum("/models/m-" in line for line in files) == 7
    assert any(line.endswith("/model.skops") for line in files)
