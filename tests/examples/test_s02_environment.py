"""Section 2 (lectures 2.3, 2.5, 2.7): the environment check, the venv anatomy and the laptop budget."""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str):
    """Import a script of examples/lectures/s02 as a module."""
    spec = importlib.util.spec_from_file_location(f"s02_{name}", ROOT / "examples" / "lectures" / "s02" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


check_env = load("check_env")
anatomy = load("venv_anatomy")
budget = load("laptop_budget")


# --- check_env.py (lecture 2.3) -------------------------------------------------------------

@pytest.mark.parametrize("version_info, status", [((3, 10, 14), "FAIL"), ((3, 9, 6), "FAIL"), ((3, 11, 0), "OK"),
                                                  ((3, 13, 1), "OK")])
def test_python_version_gate_is_3_11(version_info, status):
    result = check_env.check_python(version_info)
    assert result.status == status
    assert ".".join(map(str, version_info)) in result.what
    assert ("rm -rf .venv" in result.fix) == (status == "FAIL")


def test_outside_a_venv_is_a_warning_with_the_activate_command():
    outside = check_env.check_venv("/usr", "/usr")
    assert outside.status == "WARN" and "source .venv/bin/activate" in outside.fix and "Activate.ps1" in outside.fix
    assert check_env.check_venv("/repo/.venv", "/usr").status == "OK"


def test_pins_are_read_from_both_pyprojects():
    pins = check_env.pinned_packages()
    for path in check_env.PYPROJECTS:
        for name, pinned in re.findall(r'"([A-Za-z0-9_.\-]+)==([^"]+)"', path.read_text(encoding="utf-8")):
            assert pins[name] == pinned
    assert pins["mlflow"] == "3.17.2" and pins["pytest"] == "9.2.0"
    assert not any("[" in name for name in pins), "the self-reference mlops-course[test] is not a pin"


def test_pin_drift_names_each_package():
    result = check_env.check_pins({"a": "1.0", "b": "2.0", "c": "3.0"}, {"a": "1.0", "b": "2.1", "c": None})
    assert result.status == "WARN"
    assert result.what == "3 pinned packages: 1 match, missing c; b 2.1 != 2.0"
    assert "make test" in result.fix
    assert check_env.check_pins({"a": "1.0"}, {"a": "1.0"}).status == "OK"


def test_churn_package_found_or_named(monkeypatch):
    assert check_env.check_churn_package().status == "OK"
    monkeypatch.setitem(sys.modules, "churn", None)  # makes `import churn` raise ImportError
    missing = check_env.check_churn_package()
    assert missing.status == "FAIL" and "./examples[test,pipeline,versioning,server,explain]" in missing.fix


@pytest.mark.parametrize("text, status", [(None, "FAIL"), ("v18.19.1\n", "FAIL"), ("v20.20.2\n", "OK"),
                                          ("v24.11.0", "OK")])
def test_node_needs_major_20(text, status):
    assert check_env.check_node(text).status == status


def test_node_packages_come_from_the_lockfile(tmp_path):
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    if not (ROOT / "node_modules" / "mermaid").is_dir():
        pytest.skip("node_modules not installed (npm ci)")
    result = check_env.check_node_package("mermaid")
    assert result.status == "OK"
    assert result.what == f"mermaid {lock['packages']['node_modules/mermaid']['version']}"
    assert check_env.check_node_package("mermaid", root=tmp_path).status == "WARN"


def test_a_taken_port_is_a_warning_that_says_how_to_find_the_owner():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        taken = check_env.check_port(port, "make serve")
        assert taken.status == "WARN"
        assert taken.what.startswith(f"port {port} is taken") and "in use" in taken.what.lower()
        assert f"lsof -i :{port}" in taken.fix
    assert check_env.check_port(port, "make serve").status == "OK"


def test_check_env_runs_and_reports_every_check():
    result = subprocess.run([sys.executable, "examples/lectures/s02/check_env.py"], cwd=ROOT, capture_output=True,
                            text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[  OK] Python 3.")
    assert any(line.startswith("[  OK] churn ") for line in lines)
    assert re.search(r"^\d+ checks: 0 failed, \d+ warnings$", lines[-1])


# --- venv_anatomy.py (lecture 2.5) ----------------------------------------------------------

def test_dev_extra_means_base_plus_test_plus_pre_commit():
    base = anatomy.requirements_of(ROOT / "pyproject.toml")
    test = anatomy.requirements_of(ROOT / "pyproject.toml", ("test",))
    dev = anatomy.requirements_of(ROOT / "pyproject.toml", ("dev",))
    assert set(base) < set(test) < set(dev)
    assert set(dev) - set(test) == {"pre-commit==4.7.0"}
    assert "pytest==9.2.0" in test and "mkdocs==1.6.1" in base
    assert not any(requirement.startswith("mlops-course") for requirement in dev)
    assert all("==" in requirement for requirement in dev), "every direct requirement is pinned exactly"


def test_examples_test_extra():
    requirements = anatomy.requirements_of(ROOT / "examples" / "pyproject.toml", ("test",))
    assert {"httpx2==2.16.2", "mlflow==3.17.2", "scikit-learn==1.9.1"} <= set(requirements)


def test_self_referencing_extras_do_not_loop(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\ndependencies = ["a==1"]\n'
                         '[project.optional-dependencies]\nx = ["demo[y]", "b==2"]\ny = ["demo[x]", "c==3"]\n',
                         encoding="utf-8")
    assert anatomy.requirements_of(pyproject, ("x",)) == ["a==1", "b==2", "c==3"]


def test_install_sources():
    assert anatomy.install_source("churn-mlops").startswith("editable -> file://"), \
        "the Makefile installs the course project in editable mode"
    assert anatomy.install_source("mlflow").startswith("from an index")
    assert anatomy.install_source("no-such-distribution-s02") == "not installed"


def test_anatomy_counts_what_the_makefile_installs():
    """venv_anatomy.py's two installs are the Makefile's install line, extras and all."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = " ".join(label for label, _, _ in anatomy.INSTALLS)
    assert f"pip install --quiet {line}" in makefile


def test_lockfile_summary(tmp_path):
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version, locked, hashed = anatomy.lockfile_summary(ROOT / "package-lock.json")
    assert version == lock["lockfileVersion"] >= 3
    assert locked == len(lock["packages"]) - 1 > 100
    assert hashed == locked
    demo = tmp_path / "package-lock.json"
    demo.write_text(json.dumps({"lockfileVersion": 3, "packages": {"": {}, "node_modules/a": {"version": "1"},
                                                                   "node_modules/b": {"integrity": "sha512-x"}}}))
    assert anatomy.lockfile_summary(demo) == (3, 2, 1)


def test_venv_anatomy_prints_the_counts():
    result = subprocess.run([sys.executable, "examples/lectures/s02/venv_anatomy.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True, timeout=120)
    assert re.search(r'pip install -e "\.\[dev\]" +23 direct requirements, 23 pinned with ==', result.stdout)
    assert re.search(r'pip install -e "\./examples\[test,pipeline,versioning,server,explain\]" +23 direct '
                     r'requirements, 23 pinned with ==', result.stdout)
    assert "dependencies of dependencies: not pinned by this repository" in result.stdout
    assert "@marp-team/marp-cli 4.5.1, axe-core 4.14.1, mermaid 11.17.2" in result.stdout


# --- laptop_budget.py (lecture 2.7) ---------------------------------------------------------

def test_verdict_lines():
    assert budget.verdict(None, 8, "GiB").startswith("unknown")
    assert budget.verdict(4, 8, "GiB") == "LOW 4 GiB (the course asks for 8 GiB)"
    assert budget.verdict(15.61, 8, "GiB") == "OK  15.6 GiB (the course asks for 8 GiB)"


def test_training_runs_on_the_cpu_in_seconds():
    timings = budget.train_once(rows=2_000)
    assert timings["fit_and_evaluate"] < 30
    assert 0.75 < timings["roc_auc"] < 0.95, "the generated data carries a learnable churn signal"
    assert budget.total_ram_gib() is None or budget.total_ram_gib() > 0.5
    peak = budget.peak_rss_mib()
    assert peak is None or 50 < peak < 4096



def test_lecture_2_5_shows_the_extras_as_pyproject_declares_them():
    """Lecture 2.5 quotes the course's extras; the quote must be the file's, pin for pin."""
    import tomllib

    page = next((ROOT / "docs" / "course" / "02-tools-and-setup").glob("2.5-*.md")).read_text(encoding="utf-8")
    quoted = re.search(r'```toml title="pyproject.toml"\n(.*?)```', page, re.S)
    assert quoted, "lecture 2.5 no longer quotes pyproject.toml's extras"
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert tomllib.loads(quoted.group(1))["project"]["optional-dependencies"] == declared["optional-dependencies"]
