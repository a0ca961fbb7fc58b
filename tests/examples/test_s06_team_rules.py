"""Lecture 6.7: the team's three rules checked on a tracking store, and the lab run as a student runs it.

``check_run`` is exercised rule by rule on hand-made records; the demo of step 1 runs in this
process (``runpy``), so the region the page includes is measured, and its output must be the page's
block, run ids aside. Steps 2 and 3 are read from the page and run in one bash session with
``churn`` on the PATH as this interpreter's ``python -m churn.cli``: train one run, check it (exit 0
on a clean tree, 1 with edits to tracked files), then a config with threshold 1.5 is refused with
exit 2 and the store still holds one run.
"""

from __future__ import annotations

import os
import re
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab  # churn train, three checks: each a process of its own

ROOT = Path(__file__).resolve().parents[2]
PAGE = next((ROOT / "docs/course").glob("06-*/6.7-*.md"))
SCRIPT = ROOT / "examples/lectures/s06/team_rules.py"
RUN = re.compile(r"^\S+ \([0-9a-f]{8}\): ", re.MULTILINE)
FINGERPRINT = "a" * 64
CLEAN = {"mlflow.source.git.commit": "b" * 40, "git_dirty": "false", "data_fingerprint": FINGERPRINT}


@pytest.fixture(scope="module")
def script():
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def default_params(script):
    from churn.config import ExperimentConfig
    from churn.tracking import _flat_params

    return {key: str(value) for key, value in _flat_params(ExperimentConfig()).items()}


def rules(script, params, tags):
    return [(breach.rule, breach.why) for breach in script["check_run"](params, tags)]


def test_a_clean_run_of_the_default_config_keeps_every_rule(script, default_params):
    assert rules(script, default_params, CLEAN) == []


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ({"git_dirty": "false"}, "no mlflow.source.git.commit tag"),
        ({"mlflow.source.git.commit": "b" * 40}, "no git_dirty tag"),
        (CLEAN | {"git_dirty": "true"}, "git_dirty is 'true'"),
    ],
)
def test_code_that_is_not_committed_breaks_committed_code(script, default_params, tags, why):
    found = rules(script, default_params, tags | {"data_fingerprint": FINGERPRINT})
    assert [rule for rule, _ in found] == ["committed-code"]
    assert found[0][1].startswith(why)


@pytest.mark.parametrize("fingerprint", [None, "", "not-a-hash", "A" * 64, "a" * 63])
def test_a_missing_or_malformed_fingerprint_breaks_data_fingerprint(script, default_params, fingerprint):
    tags = {key: value for key, value in CLEAN.items() if key != "data_fingerprint"}
    if fingerprint is not None:
        tags["data_fingerprint"] = fingerprint
    assert [rule for rule, _ in rules(script, default_params, tags)] == ["data-fingerprint"]


def test_the_schema_names_every_problem_of_a_recorded_config(script, default_params):
    params = default_params | {"threshold": "1.5", "model.params.max_iters": "500", "seeds": "3"}
    found = rules(script, params, CLEAN)
    assert {rule for rule, _ in found} == {"config-in-schema"}
    whys = [why for _, why in found]
    assert "threshold: Input should be less than 1" in whys
    assert "seeds: unknown key" in whys
    assert any(why.startswith("model: params: unknown parameter(s) ['max_iters']") for why in whys)
    assert not any(why.startswith("configuration: ") for why in whys), "each problem is shown without the prefix"


def test_a_run_without_parameters_breaks_config_in_schema(script):
    assert rules(script, {}, CLEAN) == [("config-in-schema", "no parameters: the configuration is unknown")]


def test_parameters_are_read_back_as_a_nested_config(script):
    nested = script["nested"]({"model.params.C": "1.0", "data.path": "None", "seed": "7"})
    assert nested == {"model": {"params": {"C": "1.0"}}, "data": {"path": None}, "seed": "7"}


def page_block(title: str) -> list[str]:
    """The lines of the page's ```text fence titled ``title`` (dedented)."""
    match = re.search(rf'^( *)```text title="{re.escape(title)}"\n(.*?)^\1```', PAGE.read_text(encoding="utf-8"),
                      re.MULTILINE | re.DOTALL)
    assert match, f"{PAGE.name} has no output block titled {title!r}"
    return [line[len(match.group(1)):] for line in match.group(2).splitlines()]


def test_the_demo_prints_the_output_block_of_step_1(script, capsys):
    assert script["main"]([]) == script["EXIT_OK"]
    printed = RUN.sub("<run>: ", capsys.readouterr().out).splitlines()
    shown = [RUN.sub("<run>: ", line) for line in page_block("Output of step 1 (run ids differ)")]
    assert printed == shown, "update the page's output block of step 1 from a real run"


def test_bad_input_is_one_error_line_and_exit_code_2(script, tmp_path, capsys):
    main, bad = script["main"], script["EXIT_BAD_INPUT"]
    assert main(["--tracking-uri", str(tmp_path / "mlruns")]) == bad
    assert "is not a tracking URI with a model registry" in capsys.readouterr().err
    assert main(["--tracking-uri", f"sqlite:///{tmp_path / 'none.db'}"]) == bad
    assert "none.db does not exist; run churn train first" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists(), "the check must not create an empty store"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script["write_demo_runs"](uri)
    assert main(["--tracking-uri", uri, "--experiment", "churm"]) == bad
    assert "--experiment 'churm': not in" in capsys.readouterr().err
    assert main(["--tracking-uri", uri]) == script["EXIT_BROKEN"], "the demo store holds runs that break rules"


def lab_steps() -> list[str]:
    """The bash fences of the page's lab, dedented, without step 1 (the demo, run in process above)."""
    text = PAGE.read_text(encoding="utf-8")
    lab = text[text.index("\n## Lab"):text.index("\n## Common pitfalls")]
    pattern = re.compile(r"^( *)```bash\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    steps = ["\n".join(line[len(indent):] for line in body.splitlines()) for indent, body in pattern.findall(lab)]
    return [step for step in steps if not step.startswith("python ")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("lab67")
    shim = base / "bin" / "churn"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m churn.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {name: value for name, value in os.environ.items() if name not in ("MLFLOW_TRACKING_URI", "CHURN_AUDIT_LOG")}
    env |= {"PATH": f"{shim.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "TMPDIR": str(base)}
    return subprocess.run(["bash", "-c", "\n".join(lab_steps())], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def tree_is_dirty() -> bool:
    """What ``code_version`` records as ``git_dirty`` for a run trained from this checkout."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT / "examples/churn",
                            capture_output=True, text=True, check=True)
    return bool(status.stdout.strip())


def test_the_lab_trains_one_run_checks_it_and_keeps_the_bad_config_out(lab):
    assert lab.returncode == 0, lab.stderr
    codes = [int(code) for code in re.findall(r"^exit code: (\d+)$", lab.stdout, re.MULTILINE)]
    assert codes == [1 if tree_is_dirty() else 0, 2], lab.stdout + lab.stderr
    shown = page_block("Output of steps 2 and 3, on a clean tree (run name and id differ)")
    if tree_is_dirty():  # what a student with edits sees instead, as the page's step 2 says
        shown = [line.replace("keeps all 3 rules", "breaks committed-code: git_dirty is 'true': the commit is "
                              "not the code that ran").replace("exit code: 0", "exit code: 1") for line in shown]
        shown[1] = shown[-1] = "1 run checked, 1 break a rule"
    real = RUN.sub("<run>: ", lab.stdout + lab.stderr).splitlines()
    for line in shown:
        assert RUN.sub("<run>: ", line) in real, f"{PAGE.name}: not in the lab's run: {line!r}"
