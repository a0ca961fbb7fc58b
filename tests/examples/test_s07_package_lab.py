"""Lecture 7.1: the churn package as a wheel, read and installed into a fresh venv, as the lab runs it.

The lab's bash steps are read from the page and run in one bash session, in a copy of ``examples/``
(so the build's ``build/`` and ``*.egg-info`` folders land in a temporary folder, not in the
checkout), with this interpreter's folder first on the PATH and no PYTHONPATH, as a student runs
them. Step 1 is run as written: ``pip wheel`` installs the build backend (``setuptools>=77``) into an
isolated build environment from whatever package index pip is configured with; if the build fails,
the test fails with pip's output. The lecture script also runs in this process, on the built wheel
and on small wheels made here, so the regions the page includes are measured, and its error
messages are checked.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from shutil import copytree, ignore_patterns

import pytest

pytestmark = pytest.mark.lab  # a wheel build, a venv and several pip runs, each a process of its own

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PAGE = next((ROOT / "docs/course").glob("07-*/7.1-*.md"))
SCRIPT = EXAMPLES / "lectures/s07/package_anatomy.py"
BIN = Path(sys.executable).parent
WHEEL_NAME = "churn_mlops-0.1.0-py3-none-any.whl"


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def lab_text() -> str:
    text = page_text()
    start = text.index("\n## Lab")
    return text[start : text.index("\n## ", start + 1)]


def fences(text: str, language: str) -> list[str]:
    """The bodies of the ```language fences in ``text``, dedented (lab steps are indented by four spaces)."""
    pattern = re.compile(rf"^( *)```{language}[^\n]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent) :] for line in body.splitlines()) for indent, body in pattern.findall(text)]


def output_block(title: str) -> list[str]:
    """The lines of the page's ```text fence titled ``title``."""
    match = re.search(rf'^( *)```text title="{re.escape(title)}"\n(.*?)^\1```', page_text(), re.MULTILINE | re.DOTALL)
    assert match, f"{PAGE.name} has no output block titled {title!r}"
    return [line[len(match.group(1)) :] for line in match.group(2).splitlines()]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every bash step of the lab in one session; return the output of each step and the lab folder."""
    steps = fences(lab_text(), "bash")
    assert len(steps) == 6, f"{PAGE.name}: the lab should have six steps, found {len(steps)}"
    work = tmp_path_factory.mktemp("lab71")
    copytree(EXAMPLES, work / "repo/examples", ignore=ignore_patterns(
        "__pycache__", "*.egg-info", "build", "model", "mlruns", "mlflow.db", ".env", ".dagster"))
    (work / "tmp").mkdir()
    script = "\n".join(f"echo '==== step {number}'\n{step}" for number, step in enumerate(steps, 1))
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("CHURN_", "VIRTUAL_ENV")) and name != "PYTHONPATH"}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "TMPDIR": str(work / "tmp")}
    result = subprocess.run(["bash", "-c", script], cwd=work / "repo", env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    parts = re.split(r"^==== step (\d)\n", result.stdout, flags=re.MULTILINE)
    outputs = {int(number): text for number, text in zip(parts[1::2], parts[2::2], strict=True)}
    if "Successfully built churn-mlops" not in outputs.get(1, ""):
        pytest.fail(f"step 1 did not build the wheel; pip printed:\n{result.stdout}")
    (lab_folder,) = {wheel.parent for wheel in (work / "tmp").glob(f"*/{WHEEL_NAME}")}  # step 1's mktemp -d
    return outputs, lab_folder, work / "repo"


def test_step_1_builds_the_wheel(lab):
    outputs, folder, _ = lab
    assert "Successfully built churn-mlops" in outputs[1], outputs[1]
    assert (folder / WHEEL_NAME).is_file()


def test_step_2_prints_what_the_page_shows(lab):
    outputs, _, _ = lab
    real = outputs[2].splitlines()
    shown = output_block("Output of step 2")
    assert real[1:] == shown[1:], "the page shows the script's output as it prints it (after the first line)"
    pattern = r"(\d+) files, (\d+) kB \((\d+) kB unpacked\)"
    measured, stated = (tuple(map(int, re.search(pattern, line).groups())) for line in (real[0], shown[0]))
    for now, page in zip(measured, stated, strict=True):  # the package grows: allow some drift, then re-measure
        assert abs(now - page) <= 0.15 * page, f"re-run step 2 and copy its first line into the page: {real[0]}"
    text = re.sub(r"\s+", " ", page_text())
    for figure in (f"{stated[0]} files", f"{stated[1]} kB", f"{stated[2]} kB"):
        assert figure in text, f"{PAGE.name} should state the measured {figure}"


def test_step_3_installs_without_dependencies(lab):
    outputs, _, _ = lab
    assert "Successfully installed churn-mlops-0.1.0" in outputs[3], outputs[3]
    assert "Collecting" not in outputs[3], "--no-deps --no-index: nothing else is fetched"


def test_step_4_regular_copy_against_editable_install(lab):
    outputs, folder, _ = lab
    fresh, project = outputs[4].split()
    assert fresh.startswith(str(folder / "venv")) and fresh.endswith("site-packages/churn/__init__.py")
    assert project.endswith("examples/churn/__init__.py") and "site-packages" not in project


def test_step_5_the_flat_layout_shadows_the_installed_copy(lab):
    outputs, _, repo = lab
    assert outputs[5].split()[0] == str(repo / "examples/churn/__init__.py")


def test_step_6_the_entry_point_exists_but_its_dependencies_do_not(lab):
    outputs, _, _ = lab
    assert "from churn.cli import main" in outputs[6]
    assert "ModuleNotFoundError: No module named 'yaml'" in outputs[6]
    assert outputs[6].count("exit code: 1") == 2, outputs[6]
    dependencies = tomllib.loads((EXAMPLES / "pyproject.toml").read_text())["project"]["dependencies"]
    assert outputs[6].count("which is not installed") == len(dependencies) == 15
    assert "15" in page_text()


def test_the_script_reads_the_built_wheel_in_process(lab, capsys):
    _, folder, _ = lab
    namespace = runpy.run_path(str(SCRIPT))
    assert namespace["main"]([str(folder / WHEEL_NAME)]) == 0
    out = capsys.readouterr().out
    assert "console script: churn = churn.cli:main" in out
    wheel = namespace["read_wheel"](folder / WHEEL_NAME)
    declared, _ = namespace["from_pyproject"](EXAMPLES / "pyproject.toml")
    assert wheel.anatomy == declared, "the wheel records exactly what pyproject.toml declares"
    assert {name.split("/")[0] for name in wheel.files} == {"churn", "churn_mlops-0.1.0.dist-info"}


def make_wheel(path: Path, metadata: str, modules: dict[str, str], entry_points: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo-1.0.dist-info/METADATA", metadata)
        if entry_points is not None:
            archive.writestr("demo-1.0.dist-info/entry_points.txt", entry_points)
        for name, source in modules.items():
            archive.writestr(name, source)
    return path


def test_metadata_and_boundary_regions_on_a_small_wheel(tmp_path, capsys):
    namespace = runpy.run_path(str(SCRIPT))
    metadata = ("Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nRequires-Python: >=3.11\n"
                "Requires-Dist: pandas==3.1.1\nProvides-Extra: test\nRequires-Dist: pytest==9.2.0; extra == \"test\"\n"
                "Provides-Extra: docs\n\nA description.\n")
    wheel = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", metadata,
                       {"demo/__init__.py": "import os\nfrom coursekit.cli import main\nfrom . import sibling\n",
                        "demo/ok.py": "import tests.examples\n"},
                       "[console_scripts]\nDemo = demo.cli:main\n")
    anatomy = namespace["read_wheel"](wheel).anatomy
    assert anatomy.dependencies == ["pandas==3.1.1"]
    assert anatomy.extras == {"test": ["pytest==9.2.0"], "docs": []}
    assert anatomy.scripts == {"Demo": "demo.cli:main"}
    assert namespace["main"]([str(wheel)]) == 0
    out = capsys.readouterr().out
    assert "demo/__init__.py imports coursekit; demo/ok.py imports tests" in out
    bare = make_wheel(tmp_path / "bare-1.0-py3-none-any.whl", metadata, {})
    assert namespace["read_wheel"](bare).anatomy.scripts == {}


def test_the_churn_sources_import_no_course_tools():
    namespace = runpy.run_path(str(SCRIPT))
    modules = {str(path.relative_to(EXAMPLES)): path.read_text(encoding="utf-8")
               for path in (EXAMPLES / "churn").rglob("*.py")}
    assert len(modules) > 40
    assert namespace["course_tool_imports"](modules) == {}


@pytest.mark.parametrize(("argument", "message"), [
    ("missing.whl", "missing.whl: no such file; build one with"),
    ("README.md", "README.md: not a wheel (the name must end in .whl"),
    ("notzip.whl", "notzip.whl: not a wheel (a wheel is a zip archive"),
    ("nometa.whl", "nometa.whl: not a wheel (no single *.dist-info/METADATA inside)"),
])
def test_bad_input_gets_one_error_line(tmp_path, monkeypatch, capsys, argument, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# not a wheel\n")
    (tmp_path / "notzip.whl").write_text("not a zip\n")
    with zipfile.ZipFile(tmp_path / "nometa.whl", "w") as archive:
        archive.writestr("demo/__init__.py", "")
    namespace = runpy.run_path(str(SCRIPT))
    assert namespace["main"]([argument]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1 and "Traceback" not in err


def test_the_script_refuses_two_wheels_and_bad_toml(tmp_path, capsys):
    namespace = runpy.run_path(str(SCRIPT))
    assert namespace["main"](["a.whl", "b.whl"]) == 2
    assert "give at most one wheel" in capsys.readouterr().err
    broken = tmp_path / "pyproject.toml"
    broken.write_text("[project\n")
    with pytest.raises(namespace["BadWheel"], match="not valid TOML"):
        namespace["from_pyproject"](broken)
    with pytest.raises(namespace["BadWheel"], match="no such file"):
        namespace["from_pyproject"](tmp_path / "absent.toml")


def test_the_declaration_view_matches_pyproject(capsys):
    namespace = runpy.run_path(str(SCRIPT))
    assert namespace["main"]([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "examples/pyproject.toml: build backend setuptools.build_meta (requires setuptools>=77)"
    assert out[1] == "  packages: setuptools finds ['churn*']"


def test_toml_excerpts_on_the_page_are_the_real_file():
    """The page shows pyproject.toml in short TOML fences: each must be a run of the file's own lines."""
    real = (EXAMPLES / "pyproject.toml").read_text(encoding="utf-8")
    excerpts = fences(page_text(), "toml")
    assert excerpts, f"{PAGE.name} shows no TOML excerpt"
    for excerpt in excerpts:
        assert excerpt.strip("\n") in real, f"not a verbatim excerpt of examples/pyproject.toml:\n{excerpt}"


def test_the_extras_the_page_names_are_the_files():
    extras = tomllib.loads((EXAMPLES / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    table = page_text().split("## Extras", 1)[1].split("\n## ", 1)[0]
    for extra in extras:
        assert f"`{extra}`" in table, f"the extras section should name `{extra}`"


def test_the_dockerfile_excerpt_is_the_real_file():
    """The page's Dockerfile excerpt is made of the Dockerfile's own lines, and the lock comes before the package."""
    real = [line.strip() for line in (EXAMPLES / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    shown = output_block("examples/Dockerfile (stages locked and builder, a RUN instruction of each)")
    assert all(line.strip() in real for line in shown), shown
    assert real.index(shown[0].strip()) < real.index(shown[2].strip())
