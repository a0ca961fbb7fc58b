"""Notebooks are kept as percent-format .py files and executed here with a real kernel."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.py"))


def test_there_is_a_notebook():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_executes_without_errors(path):
    notebook = jupytext.read(path)
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs)
    assert path.name in EXPECTED, f"say in EXPECTED what {path.name} must print"
    for expected in EXPECTED[path.name]:
        assert expected in text, f"{path.name} should print {expected!r}"


# What each notebook must print (one_big_notebook.py is checked line by line in test_s06_one_big_notebook.py).
EXPECTED = {
    "contract_tour.py": ("21 columns, 19 features", "range", "allowed values"),
    "one_big_notebook.py": ("same code, same data, same number: False", "identical: True"),
}
