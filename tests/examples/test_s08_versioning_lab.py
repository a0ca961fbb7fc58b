"""Lecture 8.1: trace registered churn versions back to their code and data, and its lab.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a
pytest folder: generate 1,000 customers, commit a copy of the project's code in a repository of its
own, train version 1 from the clean commit, version 2 after an uncommitted edit and version 3 from a
copy outside Git, trace them with ``trace_version.py``, read the model cards, then overwrite the
data and trace version 1 again. The script's functions then run in this process on the lab's store,
so the regions the page includes are measured, and the page's output blocks are compared with what
the lab printed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import runpy

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # three trainings, four traces and two model cards, each a process of its own

PAGE = LecturePage.of("8.1")
SCRIPT = ROOT / "examples/lectures/s08/trace_version.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab81")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def _collapsed(line: str) -> str:
    return " ".join(line.split())


def _shows(printed: list[str], block: list[str]) -> bool:
    """Whether ``block`` (the page's lines, ``…`` for ids) is a run of consecutive printed lines."""
    patterns = [as_pattern(_collapsed(line)) for line in block]
    lines = [_collapsed(line) for line in printed]
    return any(all(pattern.fullmatch(line) for pattern, line in zip(patterns, lines[start:], strict=False))
               and start + len(patterns) <= len(lines) for start in range(len(lines)))


def test_the_lab_trains_three_versions_and_traces_only_the_clean_one(lab):
    result, folder = lab
    out, err = result.stdout, result.stderr
    assert "wrote 1000 rows to customers.csv" in out, err
    runs = [json.loads((folder / f"v{number}.json").read_text()) for number in (1, 2, 3)]
    assert [run["version"] for run in runs] == ["1", "2", "3"]
    assert runs[0]["metrics"]["roc_auc"] == 0.8823, "version 1 is lecture 6.6's run: the page says so"
    assert [run["metrics"]["recall"] for run in runs] == [0.7755, 0.9796, 0.9796], "the edit changes the model"
    assert " M churn/features.py" in out, "step 3: git shows the uncommitted edit"
    assert re.findall(r"^exit code: (\d+)$", out, re.MULTILINE) == ["0", "1", "1"], "steps 6 and 8"
    assert "(with uncommitted changes)" in out and "not recorded (trained outside a Git checkout)" in out, "step 7"
    assert (folder / "cards/model_card_v2.md").is_file() and (folder / "cards/model_card_v3.md").is_file()
    assert "Traceback" not in err, err[-3000:]


def test_the_page_shows_what_the_lab_printed(lab):
    result, _ = lab
    printed = result.stdout.splitlines()
    for title in ("Output of step 5", "Output of step 6", "Output of step 8"):
        block = PAGE.output_block(title, prefix=True)
        assert _shows(printed, block), f"{PAGE.name}: the block {title!r} is not what the lab printed"


def test_the_script_runs_in_process_on_the_lab_store(lab, capsys):
    _, folder = lab
    main = runpy.run_path(str(SCRIPT))["main"]
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    assert main(["--tracking-uri", uri]) == 0
    assert capsys.readouterr().out.splitlines()[3].split()[-1] == "no", "version 3 is not traceable"
    data, code = str(folder / "customers.csv"), str(folder / "code")
    assert main(["1", "--tracking-uri", uri, "--data", data, "--repo", code]) == 1, "step 8 overwrote the data"
    assert "OTHER DATA" in capsys.readouterr().out
    assert main(["--alias", "challenger", "--tracking-uri", uri, "--repo", code]) == 1
    out = capsys.readouterr().out
    assert out.startswith("churn v3 (aliases: challenger)") and "code: no commit recorded" in out
    assert main(["1", "--tracking-uri", uri, "--repo", str(folder / "loose")]) == 1, "not a checkout: no commit"
    assert "loose does not hold commit" in capsys.readouterr().out


def test_bad_input_is_one_error_line(lab, capsys, tmp_path):
    _, folder = lab
    main = runpy.run_path(str(SCRIPT))["main"]
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    assert main(["7", "--tracking-uri", uri]) == 2
    assert "has no version '7'; its versions: 1, 2, 3" in capsys.readouterr().err
    assert main(["--alias", "champion", "--tracking-uri", uri]) == 2
    assert "has no alias 'champion'; its aliases: challenger (v3)" in capsys.readouterr().err
    assert main(["--tracking-uri", f"sqlite:///{tmp_path / 'typo.db'}"]) == 2
    assert "no such database file" in capsys.readouterr().err and not (tmp_path / "typo.db").exists()
    assert main(["1", "--tracking-uri", uri, "--data", str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_gaps_name_every_missing_input():
    functions = runpy.run_path(str(SCRIPT))
    clean = functions["Lineage"]("1", [], "r" * 32, "c" * 40, "false", "customers.csv", "f" * 64, "f" * 64,
                                 ("800", "200"), {"seed": "42"}, 0.7755)
    gaps = functions["gaps"]
    assert gaps(clean) == []
    assert gaps(dataclasses.replace(clean, dirty=None)) == [
        "code: commit cccccccccccc has no git_dirty tag; the code that ran is not in any commit"]
    assert gaps(dataclasses.replace(clean, fingerprint=None, params={})) == [
        "data: no data_fingerprint recorded, so no file can be checked against the run",
        "config: the run logged no parameters"]
    assert gaps(dataclasses.replace(clean, version_fingerprint="0" * 64)) == [
        "data: the version's data_fingerprint tag is not its run's"]


def test_a_commit_the_checkout_does_not_hold_is_reported():
    has_commit = runpy.run_path(str(SCRIPT))["has_commit"]
    assert has_commit(str(ROOT), "0" * 40) is False
