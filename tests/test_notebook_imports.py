"""The ``course-notebook-imports`` plugin: mkdocs-jupyter's heavy imports wait for a real conversion."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from coursekit.notebook_imports import DeferredModule, defer


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
        from coursekit.notebook_imports import DeferNotebookImports
        DeferNotebookImports()
        import mkdocs_jupyter.plugin as plugin
        assert "nbconvert" not in sys.modules, "nbconvert was imported with the plugin"
        assert callable(plugin.convert.nb2html) and callable(plugin.jupytext.read)
        assert "nbconvert" in sys.modules
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_plugin_comes_before_mkdocs_jupyter(root):
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    assert 0 < text.index("- course-notebook-imports") < text.index("- mkdocs-jupyter"), (
        "list course-notebook-imports before mkdocs-jupyter: MkDocs creates plugins in order")
