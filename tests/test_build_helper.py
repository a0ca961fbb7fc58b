"""The ``course-build-helper`` plugin: deferred imports, the template cache, and the first-build helper process."""

from __future__ import annotations

import json
import logging
import marshal
import os
import pickle
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from mkdocs.structure.files import File, Files
from mkdocs.theme import Theme

from coursekit.buildhelper import notebooks, templates
from coursekit.buildhelper.helper import Helper
from coursekit.buildhelper.imports import DeferredModule, defer
from coursekit.buildhelper.plugin import CourseBuildHelper

NOTEBOOK = """\
# %% [markdown]
# # A tiny notebook
#
# Some *prose* before the code.

# %%
total = sum(range(4))
total

# %% [markdown]
# ## A second heading
"""
OPTIONS = {"include": ["notebooks/*.py"], "ignore": ["*.md"], "execute": False, "allow_errors": False,
           "include_source": True}
# jupytext gives every cell a random id on each read: two conversions differ only there.
CELL_ID = re.compile(r"cell-id=[0-9a-f]{8}")


def test_a_deferred_module_runs_on_first_use_and_delegates(tmp_path, monkeypatch):
    (tmp_path / "slow_module_for_test.py").write_text("import builtins\nbuiltins.SLOW_RUNS = "
                                                      "getattr(builtins, 'SLOW_RUNS', 0) + 1\nANSWER = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_module_for_test", raising=False)
    import builtins

    monkeypatch.setattr(builtins, "SLOW_RUNS", 0, raising=False)
    assert defer("slow_module_for_test") is True
    import slow_module_for_test  # the stand-in: nothing has run

    assert isinstance(slow_module_for_test, DeferredModule) and builtins.SLOW_RUNS == 0
    assert slow_module_for_test.ANSWER == 42 and builtins.SLOW_RUNS == 1
    assert slow_module_for_test.ANSWER == 42 and builtins.SLOW_RUNS == 1, "the real module runs once"
    assert not isinstance(sys.modules["slow_module_for_test"], DeferredModule), "later imports get the real one"
    monkeypatch.delitem(sys.modules, "slow_module_for_test")


def test_an_imported_module_is_left_alone():
    assert defer("json") is False
    assert not isinstance(sys.modules["json"], DeferredModule)


def test_mkdocs_jupyter_loads_without_nbconvert_until_it_converts():
    script = textwrap.dedent("""
        import sys
        from coursekit.buildhelper.plugin import CourseBuildHelper
        CourseBuildHelper().load_config({})
        import mkdocs_jupyter.plugin as plugin
        assert "nbconvert" not in sys.modules, "nbconvert was imported with the plugin"
        assert callable(plugin.convert.nb2html) and callable(plugin.jupytext.read)
        assert "nbconvert" in sys.modules
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                            env={**os.environ, "COURSE_BUILD_HELPER": "off"})
    assert result.returncode == 0, result.stderr


def test_the_plugin_comes_before_mkdocs_jupyter(root):
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    assert 0 < text.index("- course-build-helper") < text.index("- mkdocs-jupyter"), (
        "list course-build-helper before mkdocs-jupyter: MkDocs creates plugins in order")


def _jupyter(cache_dir: Path):
    from mkdocs_jupyter.plugin import Plugin

    plugin = Plugin()
    problems, _ = plugin.load_config({**OPTIONS, "cache_dir": str(cache_dir)})
    assert not problems
    return plugin


def _notebook(tmp_path: Path) -> File:
    docs = tmp_path / "docs"
    (docs / "notebooks").mkdir(parents=True)
    (docs / "notebooks" / "tiny.py").write_text(NOTEBOOK, encoding="utf-8")
    return File("notebooks/tiny.py", str(docs), str(tmp_path / "site"), use_directory_urls=True)


def _convert_in_process(jupyter, file: File) -> dict:
    """What mkdocs-jupyter itself writes to its cache when the page renders in the build."""
    page = types.SimpleNamespace(file=file, abs_url="")
    jupyter.on_pre_build(config=None)
    jupyter.on_pre_page(page, config=None, files=None)
    page.render(None, None)
    (entry,) = Path(jupyter.config["cache_dir"]).glob("*.json")
    return json.loads(entry.read_text(encoding="utf-8"))


def _run_helper(notebook_jobs: list[dict], theme_job: dict | None = None) -> Helper:
    helper = Helper.spawn()
    helper.send(notebook_jobs, theme_job)
    return helper


def test_the_helper_writes_the_entry_mkdocs_jupyter_would_write(tmp_path):
    file = _notebook(tmp_path)
    jupyter = _jupyter(tmp_path / "helper-cache")
    cache_path = notebooks.expected_cache_path(jupyter.config, file.abs_src_path)
    helper = _run_helper([notebooks.notebook_job(jupyter.config, file.abs_src_path, file.src_path, cache_path)])
    assert helper.wait_for_notebook("notebooks/tiny.py") is True
    helper.finish()
    from_helper = json.loads(cache_path.read_text(encoding="utf-8"))

    in_process = _convert_in_process(_jupyter(tmp_path / "build-cache"), file)
    assert (tmp_path / "build-cache" / cache_path.name).exists(), "the helper predicted another cache key"
    assert from_helper["title"] == in_process["title"] == "A tiny notebook"
    assert from_helper["toc_tokens"] == in_process["toc_tokens"]
    assert CELL_ID.sub("", from_helper["content"]) == CELL_ID.sub("", in_process["content"])
    assert "A second heading" in from_helper["content"]
    assert not list(cache_path.parent.glob(".*.part")), "no partial file is left behind"


def test_a_failing_notebook_is_reported_and_the_other_jobs_still_run(tmp_path, caplog):
    jupyter = _jupyter(tmp_path / "cache")
    missing = str(tmp_path / "docs" / "notebooks" / "missing.py")
    theme = templates.theme_job(Theme(name="material"), tmp_path / "jinja")
    helper = _run_helper([notebooks.notebook_job(jupyter.config, missing, "notebooks/missing.py",
                                                 tmp_path / "cache" / "entry.json")], theme)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.course_build_helper"):
        assert helper.wait_for_notebook("notebooks/missing.py") is False
    assert "converting it in the build instead" in caplog.text and "notebooks/missing.py" in caplog.text
    assert "FileNotFoundError" in caplog.text, "the helper's own error is passed on"
    helper.finish()
    assert helper.process.returncode == 0
    assert not (tmp_path / "cache" / "entry.json").exists()
    assert not templates.cache_is_empty(tmp_path / "jinja"), "the templates were compiled all the same"


def test_a_failing_template_job_is_reported_and_the_next_one_still_runs(tmp_path, caplog):
    theme = templates.theme_job(Theme(name="material"), tmp_path / "jinja")
    broken = {"handler": "no_such_handler", "handler_config": {}, "custom_templates": None, "theme": "material",
              "config_file_path": str(tmp_path / "mkdocs.yml"), "cache_dir": str(tmp_path / "jinja")}
    helper = Helper.spawn()
    helper.send([], theme, broken)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.course_build_helper"):
        helper.finish(timeout=120)
    assert "handler job failed: ModuleNotFoundError" in caplog.text
    assert not templates.cache_is_empty(tmp_path / "jinja"), "the theme's job ran after the failed one"


def test_a_helper_that_dies_is_reported(tmp_path, caplog):
    helper = Helper.spawn()
    helper.process.kill()
    helper.send([], None)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.course_build_helper"):
        assert helper.wait_for_notebook("notebooks/tiny.py") is False
    assert "helper ended" in caplog.text
    helper.stop()


def test_a_dismissed_helper_exits_and_a_waiting_one_can_be_stopped():
    dismissed = Helper.spawn()
    dismissed.dismiss()
    assert dismissed.process.wait(timeout=60) == 0
    dismissed.stop()
    waiting = Helper.spawn()
    waiting.stop()
    assert waiting.process.poll() is not None, "stop() ends a helper that is still waiting for its request"


def _config_copy(root: Path, folder: Path) -> Path:
    """The course's mkdocs.yml in another folder, its paths made absolute: its template cache lands there."""
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    replacements = {"  - hooks/course_hooks.py": f"  - {root / 'hooks' / 'course_hooks.py'}",
                    "paths: [examples]": f"paths: [{root / 'examples'}]",
                    'base_path: ["."]': f'base_path: ["{root}"]'}
    for old, new in replacements.items():
        assert old in text, f"mkdocs.yml no longer has {old!r}: update this test"
        text = text.replace(old, new)
    text = re.sub(r"\nwatch:\n(?:  - .*\n)+", "\n", text)
    config = folder / "mkdocs.yml"
    config.write_text(text + f"\ndocs_dir: {root / 'docs'}\n", encoding="utf-8")
    return config


def _compiled(folder: Path) -> dict[str, tuple[str, object]]:
    """The templates in a Jinja bytecode cache: file name -> (source checksum, code object)."""
    from jinja2.bccache import bc_magic

    compiled = {}
    for path in folder.glob("__jinja2_*.cache"):
        with path.open("rb") as stream:
            assert stream.read(len(bc_magic)) == bc_magic
            compiled[path.name] = (pickle.load(stream), marshal.load(stream))
    return compiled


def test_the_helper_compiles_each_template_to_the_code_the_build_compiles(root, tmp_path, monkeypatch):
    """A real strict build without the helper, against the helper's two template jobs for the same config.

    Code objects compare equal when their bytecode, constants and names are equal (memory
    addresses aside), so this checks what each template does, not how marshal wrote it.
    """
    from mkdocs.config import load_config

    config = _config_copy(root, tmp_path)
    monkeypatch.setenv("COURSE_BUILD_HELPER", "off")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    environ = {**os.environ, "COURSE_DECKS": "off", "COURSE_EXECUTE_NOTEBOOKS": "false"}
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
                            "-d", str(tmp_path / "site")], cwd=tmp_path, env=environ, capture_output=True,
                           text=True, check=False)
    assert build.returncode == 0, build.stderr[-3000:]

    loaded = load_config(str(config))
    cache = tmp_path / "helper"
    helper = Helper.spawn()
    helper.send([], templates.theme_job(loaded.theme, cache),
                templates.handler_job(loaded.plugins["mkdocstrings"].config, loaded.theme, loaded.config_file_path,
                                      cache, "python"))
    helper.finish(timeout=120)
    assert helper.process.returncode == 0

    from_build, from_helper = _compiled(tmp_path / ".cache" / "jinja"), _compiled(cache)
    common = sorted(set(from_build) & set(from_helper))
    different = [from_build[name][1].co_filename for name in common if from_build[name] != from_helper[name]]
    assert not different, f"the helper compiles these differently from the build: {different}"
    kinds = [from_build[name][1].co_filename for name in common]
    assert sum("mkdocstrings_handlers" in name for name in kinds) >= 30, "mkdocstrings' templates are missing"
    assert sum("/material/templates/" in name for name in kinds) >= 20, "the theme's templates are missing"


def test_the_theme_job_skips_icons_other_languages_and_templates_it_cannot_compile(tmp_path):
    theme = Theme(name="material")
    names = templates.theme_template_names([str(folder) for folder in theme.dirs], "en")
    assert "main.html" in names and "partials/languages/en.html" in names
    assert "partials/languages/de.html" not in names
    assert not [name for name in names if name.startswith(".icons/") or not name.endswith(".html")]
    compiled = templates.compile_theme(templates.theme_job(theme, tmp_path))
    assert 0 < compiled < len(names), "blog templates need the blog plugin's filters and are skipped"


def test_the_plugin_sends_only_uncached_notebooks_and_waits_before_the_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # empty caches here: the plugin spawns its helper at once
    monkeypatch.setattr("coursekit.buildhelper.plugin.available_cores", lambda: 2)
    file = _notebook(tmp_path)
    jupyter = _jupyter(tmp_path / ".cache" / "mkdocs-jupyter")
    config = types.SimpleNamespace(plugins={"mkdocs-jupyter": jupyter}, theme=Theme(name="material"))
    page = types.SimpleNamespace(file=file)

    plugin = CourseBuildHelper()
    plugin.load_config({}, str(tmp_path / "mkdocs.yml"))
    assert plugin.helper is not None, "a fresh clone gets a helper as soon as the plugin exists"
    assert plugin.template_cache == tmp_path / ".cache" / "jinja"
    plugin.on_files(Files([file]), config)
    assert plugin.waiting == {"notebooks/tiny.py"}
    plugin.on_pre_page(page, config, None)
    cached = notebooks.expected_cache_path(jupyter.config, file.abs_src_path)
    assert cached is not None and cached.exists(), "the entry is in place before mkdocs-jupyter renders"
    plugin.on_post_build(config)
    assert plugin.helper is None
    assert not templates.cache_is_empty(plugin.template_cache), "the theme's templates were compiled"

    again = CourseBuildHelper()
    again.load_config({}, str(tmp_path / "mkdocs.yml"))
    assert again.helper is None, "with filled caches no helper is spawned up front"
    again.on_files(Files([file]), config)
    assert again.helper is None and again.waiting == set(), "a cached notebook needs no helper"

    cached.unlink()  # an edited notebook, templates cached: the helper gets the notebook only
    sent = []
    real_send = Helper.send
    monkeypatch.setattr(Helper, "send", lambda self, *jobs: sent.append(jobs) or real_send(self, *jobs))
    edited = CourseBuildHelper()
    edited.load_config({}, str(tmp_path / "mkdocs.yml"))
    edited.on_files(Files([file]), config)
    assert [(len(notebook_jobs), theme, handler) for notebook_jobs, theme, handler in sent] == [(1, None, None)]
    edited.on_pre_page(page, config, None)
    edited.on_post_build(config)
    assert cached.exists()


def test_one_core_gets_no_helper(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # empty caches: with two cores the plugin would spawn a helper here
    monkeypatch.setattr("coursekit.buildhelper.plugin.available_cores", lambda: 1)
    plugin = CourseBuildHelper()
    plugin.load_config({}, str(tmp_path / "mkdocs.yml"))
    assert plugin.helper is None and not plugin.enabled


def test_the_helper_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_BUILD_HELPER", "off")
    file = _notebook(tmp_path)
    config = types.SimpleNamespace(plugins={"mkdocs-jupyter": _jupyter(tmp_path / ".cache" / "mkdocs-jupyter")},
                                   theme=Theme(name="material"))
    plugin = CourseBuildHelper()
    plugin.load_config({}, str(tmp_path / "mkdocs.yml"))
    plugin.on_files(Files([file]), config)
    assert plugin.helper is None and plugin.waiting == set()


@pytest.mark.parametrize("execute_ignore, expect_execute", [([], True), (["notebooks/*"], False)])
def test_the_cache_key_follows_execute_ignore_like_the_plugin(tmp_path, execute_ignore, expect_execute):
    from mkdocs_jupyter.plugin import _compute_cache_key

    file = _notebook(tmp_path)
    jupyter = _jupyter(tmp_path / "cache")
    jupyter.config["execute"], jupyter.config["execute_ignore"] = True, execute_ignore
    path = notebooks.expected_cache_path(jupyter.config, file.abs_src_path)
    assert path is not None
    assert path.stem == _compute_cache_key(file.abs_src_path, jupyter.config, expect_execute)
    jupyter.config["cache"] = False
    assert notebooks.expected_cache_path(jupyter.config, file.abs_src_path) is None
