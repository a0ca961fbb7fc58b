"""Lecture 8.4: model states as aliases and tags, the deprecated stages, and the lab that walks them.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli`` and ``mktemp -d`` inside a
pytest folder: train and promote v1, train the tuned v2, gate it, promote it, load the champion,
move it to the old stage ``Production``, roll back. The page's output block must be the lines of
that real run, in order (``…`` for run ids and the rollback's date), and the registry the lab leaves
must be in the state the page describes. The script's functions then run in this process on a
scratch store of their own (its no-argument demo), so the regions the page includes are measured.
"""

from __future__ import annotations

import re
import runpy
import warnings

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # two trainings, two promotions, a gate and a rollback, each a process of its own

PAGE = LecturePage.of("8.4")
SCRIPT = ROOT / "examples/lectures/s08/model_states.py"
HEADER = "version  aliases            maps to     stage       state tags"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab84")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def listings(out: str) -> list[list[str]]:
    """Every table ``model_states.py list`` printed, as its rows without the header, in order."""
    tables, current = [], None
    for line in out.splitlines():
        if line == HEADER:
            current = []
            tables.append(current)
        elif current is not None and line.startswith("v") and re.match(r"^v\d+ ", line):
            current.append(re.sub(r"rolled_back_at=\S+", "rolled_back_at=…", " ".join(line.split())))
        else:
            current = None
    return tables


def test_the_lab_walks_two_versions_through_every_state(lab):
    result, _ = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for said in ("PROMOTED: challenger v1 roc_auc=", "PASSED THE GATE, NOT PROMOTED YET: challenger v2",
                 "PROMOTED: challenger v2 roc_auc=", "champion: v2 -> v1"):
        assert said in out, f"the lab should print {said!r}"
    assert listings(out) == [
        ["v1 champion Production None gate=passed, approved_by=ana", "v2 challenger Staging None -"],  # step 2
        ["v1 champion Production None gate=passed, approved_by=ana",
         "v2 challenger Staging None gate=passed"],  # step 3: a tag, no alias moved
        ["v1 previous_champion Archived None gate=passed, approved_by=ana",
         "v2 champion Production None gate=passed, approved_by=ana"],  # step 4
        ["v1 champion Production None gate=passed, approved_by=ana",
         "v2 - Archived Production gate=passed, approved_by=ana, rolled_back_at=…"],  # step 7: the stage stayed
    ]
    assert re.search(r"^real\s+\d+m[\d.]+s$", result.stderr, re.MULTILINE), "step 5 times the load"


def test_both_loads_of_the_alias_score_the_same(lab):
    result, _ = lab
    scores = re.findall(r"^P\(churn\) of three customers: (.+)$", result.stdout, re.MULTILINE)
    onnx = re.findall(r"^churn\.predict\.load_champion: version \d+, P\(churn\) (.+)$", result.stdout, re.MULTILINE)
    assert len(scores) == 2 and scores == onnx, "scikit-learn and ONNX give the same probabilities to four places"
    assert scores[0] != scores[1], "the rollback loads another model"


def test_the_page_shows_the_real_output_of_the_lab_in_order(lab):
    result, _ = lab
    real = result.stdout.splitlines()
    position = 0
    for line in PAGE.output_block("Output of steps 4 to 7", prefix=True):
        pattern = as_pattern(line)
        found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
        assert found is not None, f"{PAGE.name}: not in the lab's run after line {position}: {line!r}"
        position = found + 1


def test_the_lab_leaves_the_alias_and_the_old_stage_apart(lab):
    from mlflow import MlflowClient

    _, folder = lab
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # without registry_uri, the process-wide registry
    assert client.get_registered_model("churn").aliases == {"champion": 1}, "no previous_champion after a rollback"
    versions = {int(v.version): v for v in client.search_model_versions("name='churn'")}
    assert (versions[1].current_stage, versions[2].current_stage) == ("None", "Production")
    assert "rolled_back_at" in versions[2].tags and versions[2].tags["rolled_back_by"] == "ana"
    assert [v.version for v in client.search_model_versions("name='churn' and tag.gate='passed'")] != []


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The script's no-argument demo, run in this process into a folder of the test's: (namespace, lines, uri)."""
    namespace = runpy.run_path(str(SCRIPT))
    folder = tmp_path_factory.mktemp("demo84")
    lines = namespace["demo"](folder)
    return namespace, lines, f"sqlite:///{folder / 'mlflow.db'}"


def test_the_demo_promotes_twice_and_rolls_back(demo_store):
    _, lines, _ = demo_store
    rows = [" ".join(line.split()) for line in lines if re.match(r"^v\d+ ", line)]
    assert rows[-2:] == ["v1 champion Production None gate=passed, approved_by=demo",
                         "v2 - Archived None gate=passed, approved_by=demo, rolled_back_at=" + rows[-1].split("=")[-1]]
    assert "v1 previous_champion Archived None gate=passed, approved_by=demo" in rows


def test_each_alias_maps_onto_the_old_stage_the_page_gives(demo_store):
    old_stage = demo_store[0]["old_stage"]
    assert [old_stage(aliases) for aliases in (["champion"], ["challenger"], ["previous_champion"], [])] == \
        ["Production", "Staging", "Archived", "Archived"]
    assert old_stage(["challenger", "champion"]) == "Production", "the champion alias wins"


def test_the_commands_read_and_write_what_the_page_says(demo_store, capsys):
    namespace, _, uri = demo_store
    main = namespace["main"]
    assert main(["load", "--tracking-uri", uri]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("models:/churn@champion -> version 1 (run ")
    assert out[-1] == "models:/churn/Production -> no version (none has the old stage Production)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert main(["old-stage", "--tracking-uri", uri]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:2]] == ["FutureWarning", "FutureWarning"]
    assert out[2:] == ["version 1: current_stage=Production", "get_latest_versions(Production) -> version 1",
                       "models:/churn/Production -> version 1, 0 FutureWarning on loading"]
    assert main(["load", "--tracking-uri", uri]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "models:/churn/Production -> version 1 (the old stage field)"
    assert main(["list", "--tracking-uri", uri]) == 0
    assert " Production  Production " in capsys.readouterr().out, "after old-stage the field says Production too"


def test_bad_input_and_a_missing_champion_have_their_exit_codes(demo_store, tmp_path, monkeypatch, capsys):
    from mlflow import MlflowClient

    namespace, _, uri = demo_store
    main = namespace["main"]
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 2, "no mlflow.db here: refused, not created"
    assert not (tmp_path / "mlflow.db").exists()
    assert main(["list", "--tracking-uri", uri, "--model", "nope"]) == 2
    assert "no registered model 'nope'" in capsys.readouterr().err
    client = MlflowClient(uri)
    champion = client.get_model_version_by_alias("churn", "champion").version
    client.delete_registered_model_alias("churn", "champion")
    try:
        assert main(["load", "--tracking-uri", uri]) == 3
        assert capsys.readouterr().err.startswith("error: churn@champion: ")
    finally:
        client.set_registered_model_alias("churn", "champion", champion)
