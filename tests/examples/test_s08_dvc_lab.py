"""Lecture 8.2: the churn pipeline under DVC, its lab run step by step as a student runs it.

The lab's shell steps are read from the page and run in one bash session, with ``dvc`` and
``python`` of this interpreter on the PATH and ``mktemp -d`` inside a pytest folder: a scratch Git
repository with a copy of ``examples/churn``, ``examples/dvc.yaml`` and the default config, ``dvc
init``, ``dvc repro`` twice (all four stages, then none), a new ``model.params.C`` (``dvc status``
names ``train``; ``train`` and ``evaluate`` rerun), ``dvc exp run -S``, a folder remote with ``dvc
push``, and ``dvc pull`` after the cache is deleted. The page's output blocks and the figures it
quotes must be what that run printed.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml

from tests.examples.lab_session import LecturePage, as_pattern, run_session, scratch_folder, student_env

pytestmark = pytest.mark.lab  # five dvc runs of the pipeline, each stage a process of its own

pytest.importorskip("dvc", reason="DVC is the optional `versioning` extra: pip install -e 'examples[versioning]'")

PAGE = LecturePage.of("8.2")
STAGES = ["ingest", "validate", "train", "evaluate"]
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "student", "GIT_AUTHOR_EMAIL": "student@example.com",
                "GIT_COMMITTER_NAME": "student", "GIT_COMMITTER_EMAIL": "student@example.com"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch repo, steps)."""
    base = tmp_path_factory.mktemp("lab82")
    steps = PAGE.steps()
    assert len(steps) == 7, "the page's lab has seven steps"
    # one marker line between steps, so that each step's output can be read on its own
    script = "\n".join(f"echo '=== step {number}'; echo '=== step {number}' >&2\n{step}"
                       for number, step in enumerate(steps, start=1))
    result = run_session(script, base, env=student_env(base, drop=("DVC_", "GIT_"), **GIT_IDENTITY))
    return result, scratch_folder(base, "dvc.yaml")


def step_output(result, number: int, *, stream: str = "stdout") -> str:
    text = getattr(result, stream)
    part = text.split(f"=== step {number}\n", 1)[1]
    return part.split(f"=== step {number + 1}\n", 1)[0]


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def seconds(stderr: str) -> list[float]:
    """The wall-clock times of bash's ``time``, in order."""
    return [int(minutes) * 60 + float(secs) for minutes, secs in re.findall(r"^real\t(\d+)m([\d.]+)s$", stderr,
                                                                            re.MULTILINE)]


def test_every_step_runs(lab):
    result, _ = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr[-3000:]


def test_repro_runs_every_stage_then_none(lab):
    result, _ = lab
    first, second = step_output(result, 2), step_output(result, 3)
    assert ran(first) == STAGES
    assert "ingest: 10000 rows from generated:10000" in first and "evaluate: roc_auc=0.8682" in first
    hint = re.findall(r"^\tgit add (.+)$", first, re.MULTILINE)
    assert [sorted(hint[0].split())] == [["data/.gitignore", "dvc.lock", "models/.gitignore"]], "DVC's hint (any order)"
    assert ran(second) == [] and second.count("didn't change, skipping") == 4
    assert second.count("Data and pipelines are up to date.") == 2, "repro, then status"
    assert "/raw.parquet\n/validated.parquet\n/test.parquet\n" in second, "data/.gitignore"
    assert second.rstrip().endswith("\n6"), "five data and model files and the run cache's metrics.json"
    times = seconds(result.stderr)
    assert times[1] < times[0] / 3, f"a repro with nothing to do is much faster: {times}"


def test_a_new_c_reruns_train_and_evaluate_only(lab):
    result, _ = lab
    out = step_output(result, 4)
    assert ran(out) == ["train", "evaluate"]
    status = out.split("Stage 'ingest'")[0]
    assert "train:" in status and "evaluate:" not in status and "modified:           model" in status
    assert "ingest" not in status, "dvc status names only the stage whose own inputs changed"
    for line in PAGE.output_block("Output of step 4", prefix=True):
        assert line in out.splitlines(), f"{PAGE.name}: not in step 4's output: {line!r}"


def test_the_experiment_reruns_train_and_evaluate_and_checkout_goes_back(lab):
    result, folder = lab
    out = step_output(result, 5)
    assert ran(out) == ["train", "evaluate"]
    assert "Ran experiment(s): " in out and out.rstrip().endswith("Data and pipelines are up to date.")
    table = out.split("Ran experiment(s):", 1)[1].splitlines()
    shown = PAGE.output_block("Output of step 5", prefix=True)
    start = table.index(shown[0])
    for line, real in zip(shown, table[start : start + len(shown)], strict=True):
        assert as_pattern(line).fullmatch(real), f"{PAGE.name}: step 5 shows {line!r}, the lab printed {real!r}"
    config = yaml.safe_load((folder / "configs/default.yaml").read_text(encoding="utf-8"))
    assert config["model"]["params"]["C"] == 0.05, "git restore went back to the commit of step 4"


def test_push_sends_the_current_versions_and_pull_brings_them_back(lab):
    result, folder = lab
    push, pull = step_output(result, 6), step_output(result, 7)
    assert push.count("new:") == 5 and "5 files pushed" in push
    sizes = dict(reversed(line.split("\t")) for line in push.splitlines() if "\t" in line and line[0].isdigit())
    cache, store = (float(re.sub(r"[KM]$", "", size)) * (1024 if size.endswith("M") else 1) for size in
                    (sizes[".dvc/cache"], next(size for path, size in sizes.items() if path != ".dvc/cache")))
    assert cache > store, f"the cache also holds the older models: {sizes}"
    assert "not in cache:" in pull and "deleted:" in pull
    assert "5 files fetched and 5 files added" in pull
    assert pull.rstrip().endswith("Data and pipelines are up to date.")
    lock = yaml.safe_load((folder / "dvc.lock").read_text(encoding="utf-8"))
    outs = [out for stage in lock["stages"].values() for out in stage.get("outs", [])
            if not out["path"].startswith("reports/")]  # the reports are `cache: false`: Git keeps them
    assert len(outs) == 5
    for out in outs:
        path = folder / out["path"]
        assert hashlib.md5(path.read_bytes()).hexdigest() == out["md5"], f"{out['path']} is the version dvc.lock names"
        cached = folder / ".dvc/cache/files/md5" / out["md5"][:2] / out["md5"][2:]
        assert cached.is_file(), f"DVC 3's cache layout holds {out['path']}"
    config = (folder / ".dvc/config").read_text(encoding="utf-8")
    assert "remote = store" in config and '[\'remote "store"\']' in config


def test_the_page_quotes_the_lab(lab):
    text = PAGE.text
    for fact in ("`ingest: 10000 rows`", "`evaluate: roc_auc=0.8682`", "`5 files pushed`",
                 "`5 files fetched and 5 files added`", "DVC 3.67.1"):
        assert fact in text, f"{PAGE.name} should say {fact}"
    from importlib.metadata import version

    assert version("dvc") == "3.67.1", "the page names the DVC version of the versioning extra"
