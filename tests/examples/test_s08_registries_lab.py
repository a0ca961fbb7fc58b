"""Lecture 8.3: the MLflow registry's versions, aliases and tag search, a folder registry, and its lab.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a
pytest folder: train the default configuration (version 1) and the tuned one (version 2) on 1,000
generated customers, list, load and search them with ``registry_tour.py``, download the challenger's
files, register them in ``folder_registry.py``, change the registered file and see it refused. The
scripts' functions then run in this process, so the regions the page includes are measured, and the
page's output blocks are compared with what the lab printed.
"""

from __future__ import annotations

import json
import re
import runpy
import threading
from pathlib import Path

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # two trainings, five tours, a download and a folder registry, each a process

PAGE = LecturePage.of("8.3")
TOUR = ROOT / "examples/lectures/s08/registry_tour.py"
FOLDER = ROOT / "examples/lectures/s08/folder_registry.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab83")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def _collapsed(line: str) -> str:
    return " ".join(line.split())


def _shows(printed: list[str], block: list[str]) -> bool:
    """Whether ``block`` (the page's lines, ``…`` for ids) is a run of consecutive printed lines."""
    patterns = [as_pattern(_collapsed(line)) for line in block]
    lines = [_collapsed(line) for line in printed]
    return any(start + len(patterns) <= len(lines)
               and all(pattern.fullmatch(line) for pattern, line in zip(patterns, lines[start:], strict=False))
               for start in range(len(lines)))


def test_the_lab_registers_two_versions_and_the_alias_moves(lab):
    result, folder = lab
    out, err = result.stdout, result.stderr
    assert "Traceback" not in err, err[-3000:]
    runs = [json.loads((folder / f"v{number}.json").read_text()) for number in (1, 2)]
    assert [run["version"] for run in runs] == ["1", "2"]
    assert [run["metrics"]["roc_auc"] for run in runs] == [0.8823, 0.8828], "the page compares the two"
    loads = re.findall(r"^(churn\S+) is v(\d); churn probability of the first 3 rows: (\[.*\])$", out, re.MULTILINE)
    assert [(reference, version) for reference, version, _ in loads] == [
        ("churn@challenger", "1"), ("churn@challenger", "2"), ("churn/1", "1")], "steps 2 and 4"
    assert loads[0][2] == loads[2][2] != loads[1][2], "a number loads the same model; the moved alias another"
    assert loads[0][2] == "[0.4738, 0.7201, 0.4042]" and loads[1][2] == "[0.2707, 0.724, 0.2483]", "the page's figures"
    assert "data_fingerprint=8b83b2d3c0f6: v1, v2" in out, "step 5"


def test_the_folder_registry_refuses_the_changed_file(lab):
    result, folder = lab
    out, err = result.stdout, result.stderr
    assert "registered churn v1: sha256" in out and "churn@champion -> v1" in out, "step 6"
    assert f"{folder}/registry/churn/1/model.skops" in out or "registry/churn/1/model.skops" in out
    assert re.findall(r"^exit code: (\d+)$", out, re.MULTILINE) == ["1"], "step 7"
    assert "REFUSED: registry/churn/1/model.skops is not the file registered as churn v1" in err
    assert (folder / "challenger/MLmodel").is_file(), "step 6 downloaded the model's folder"
    assert out.rstrip().splitlines()[-2:][0].startswith("v1  sha256") and "aliases: champion" in out


def test_the_page_shows_what_the_lab_printed(lab):
    result, _ = lab
    printed = result.stdout.splitlines()
    assert _shows(printed, PAGE.output_block("Output of steps 3 and 4", prefix=True)[:2]), "the listing of step 3"
    assert _shows(printed, PAGE.output_block("Output of steps 3 and 4", prefix=True)[2:3]), "step 4's alias"
    assert _shows(printed, PAGE.output_block("Output of steps 3 and 4", prefix=True)[3:]), "step 4's number"
    step7 = PAGE.output_block("Output of step 7", prefix=True)
    assert as_pattern(step7[0]).fullmatch(result.stderr.strip().splitlines()[-1]), "the REFUSED line"
    assert _shows(printed, step7[1:]), "the rest of step 7"


def test_the_tour_runs_in_process_on_the_lab_store(lab, capsys):
    _, folder = lab
    main = runpy.run_path(str(TOUR))["main"]
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    assert main(["--tracking-uri", uri]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["v1", "v2"] and "alias challenger" in lines[1]
    assert main(["--tracking-uri", uri, "--find", "threshold=0.35"]) == 0
    assert capsys.readouterr().out.strip() == "threshold=0.35: v1, v2"
    assert main(["--tracking-uri", uri, "--find", "data_fingerprint=0000"]) == 0
    assert capsys.readouterr().out.strip() == "data_fingerprint=0000: no version"
    data = str(folder / "customers.csv")
    assert main(["--tracking-uri", uri, "--load", "churn/2", "--data", data]) == 0
    assert capsys.readouterr().out.startswith("churn/2 is v2; churn probability of the first 3 rows: [0.2707")


def test_tour_bad_input_is_one_error_line(lab, capsys, tmp_path):
    _, folder = lab
    main = runpy.run_path(str(TOUR))["main"]
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    data = str(folder / "customers.csv")
    cases = {("--load", "churn@champion", "--data", data): "has no alias 'champion'; its aliases: challenger (v2)",
             ("--load", "churn/9", "--data", data): "has no version '9'; its versions: 1, 2",
             ("--load", "churn", "--data", data): "write name@alias or name/version",
             ("--load", "churn/1", "--data", str(tmp_path / "none.csv")): "none.csv",
             ("--find", "threshold"): "write TAG=VALUE",
             ("--model", "other"): "no registered model 'other'"}
    for arguments, message in cases.items():
        assert main(["--tracking-uri", uri, *arguments]) == 2, arguments
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (arguments, err)
    assert main(["--tracking-uri", f"sqlite:///{tmp_path / 'typo.db'}"]) == 2
    assert "no store at" in capsys.readouterr().err and not (tmp_path / "typo.db").exists()


def test_folder_registry_versions_aliases_and_integrity(tmp_path, capsys):
    functions = runpy.run_path(str(FOLDER))
    root, model = tmp_path / "registry", tmp_path / "model.bin"
    model.write_bytes(b"weights")
    assert [functions["register"](root, "churn", model) for _ in range(2)] == [1, 2]
    functions["set_alias"](root, "churn", "champion", 1)
    functions["set_alias"](root, "churn", "champion", 2)  # moving an alias rewrites one small file
    assert functions["aliases"](root, "churn") == {"champion": 2}
    assert functions["resolve"](root, "churn@champion") == root / "churn/2/model.bin"
    assert functions["resolve"](root, "churn/1") == root / "churn/1/model.bin"
    (root / "churn/2/model.bin").write_bytes(b"other weights")
    with pytest.raises(functions["Tampered"], match="not the file registered as churn v2"):
        functions["resolve"](root, "churn@champion")
    assert not list((root / "churn").glob("*.tmp")), "no temporary alias file is left behind"
    main = functions["main"]
    for arguments, message in {("resolve", "churn@nope"): "has no alias 'nope' (it has: champion)",
                               ("resolve", "churn/x"): "must be a number", ("resolve", "churn"): "write name@alias",
                               ("alias", "churn", "champion", "7"): "has no version 7",
                               ("register", "../up", str(model)): "is not allowed",
                               ("register", "churn", str(tmp_path / "none")): "no such file",
                               ("list", "other"): "holds no model 'other'"}.items():
        assert main(["--root", str(root), *arguments]) == 2, arguments
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err, (arguments, err)
    assert main(["--root", str(root), "resolve", "churn@champion"]) == 1
    assert capsys.readouterr().err.startswith("REFUSED: ")


def test_two_registrations_at_once_never_share_a_number(tmp_path):
    register = runpy.run_path(str(FOLDER))["register"]
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    numbers: list[int] = []
    threads = [threading.Thread(target=lambda: numbers.append(register(tmp_path / "r", "churn", model)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 9))


def test_a_registration_that_loses_the_race_takes_the_next_number(tmp_path, monkeypatch):
    register = runpy.run_path(str(FOLDER))["register"]
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    make_folder = Path.mkdir
    rival = []

    def rival_first(self: Path, *args, **kwargs):  # another registration makes version 1 just before this one
        if self.name == "1" and not rival:
            rival.append(self)
            make_folder(self)
        return make_folder(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", rival_first)
    assert register(tmp_path / "r", "churn", model) == 2, "version 1 was taken between counting and mkdir"
    assert not any((tmp_path / "r/churn/1").iterdir()), "the rival's folder is left to the rival"
