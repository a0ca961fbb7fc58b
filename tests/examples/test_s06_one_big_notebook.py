"""Lecture 6.2: the one big notebook proves each problem the page names, with the numbers the page quotes.

``docs/notebooks/one_big_notebook.py`` is executed here with a real kernel (jupytext + nbclient, as
the site's build does): the out-of-order run must give another result than the run in order, a
fresh run the first one again, and so on for every problem of Part 2. Every number the page quotes
from the notebook is checked against the line the notebook printed. The lab's shell steps are read
from the page and run in one bash session, as a student runs them, and the page's output block
must be the real run's. The modules the page includes (``load_training_data``, ``build_pipeline``)
then run in this process on the same export, for the claims the page makes about them.
"""

from __future__ import annotations

import ast

import jupytext
import pytest
from nbclient import NotebookClient

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # the notebook twice (here and in the lab), each in a kernel of its own

PAGE = LecturePage.of("6.2")
NOTEBOOK = ROOT / "docs/notebooks/one_big_notebook.py"

# (what the page says, the line the notebook prints that says it)
QUOTES = [
    ("| `[1]`-`[5]` in order | 0.8633 | 0.7130 | 44,579 |", "ROC AUC 0.8633, recall 0.7130, cost per 1000 44579"),
    ("| `[3]` run twice | 0.8631 | 0.7236 | 43,406 |", "ROC AUC 0.8631, recall 0.7236, cost per 1000 43406"),
    ("a cost of 44,579 per 1,000", "ROC AUC 0.8633, recall 0.7130, cost per 1000 44579"),
    ("the\nnotebook said 43,406", "ROC AUC 0.8631, recall 0.7236, cost per 1000 43406"),
    ("from 44,579 to 43,406", "ROC AUC after a fresh run of [1]-[5]: 0.8633; first run again: True"),
    ("`test_size=0.25` against the config's\n0.2", "[4] test_size=0.25  test_size = 0.2: DIFFERS"),
    ("`random_state=0` against its `seed: 42`", "[4] random_state=0  seed = 42: DIFFERS"),
    ("The notebook keeps 9,887 rows, `validate` 9,850.", "rows kept: notebook 9887 | churn.validate 9850"),
    ("The notebook drops 113 customers", "rows the notebook drops: 113 | with a blank TotalCharges: 113"),
    ("fills in\n  112 of them", "validation: 10000 rows in, 150 rows dropped, 112 values fixed (TotalCharges blank in "
     "first month: 12, TotalCharges blank after first month: 100)"),
    ("The notebook keeps 100 duplicated customers", "duplicated customerID kept by the notebook: 100"),
    ("and 49 rows with `tenure` or `MonthlyCharges` out of\n  range",
     "out-of-range tenure or MonthlyCharges kept by the notebook: 49"),
    ("35 of the notebook's 2,472 test rows", "test rows whose customer is also in the training split: 35 of 2472"),
    ("makes 21 columns where\nthe model expects 31",
     "the pickle expects 31 columns; cells [2] and [3] on 3 customers make 21"),
    ("refuses with a `ValueError`", "ValueError: The feature names should match those that were passed during fit."),
    ("The folder\nholds the export and the pickle",
     "files the notebook left: ['churn_export.csv', 'churn_model_FINAL_v2.pkl']"),
    ("Part 2 counts 0", "functions in cells [1]-[6]: 0"),
    ("ROC AUC 0.8498 both\ntimes", "churn.train on the export: ROC AUC 0.8498, again 0.8498, identical: True"),
    ("The\nnotebook's 0.8633 is higher", "ROC AUC in order [1]-[5]: 0.8633; after running [3] twice: 0.8631"),
    ("Part 2 checks seven of them", "[5] 50 *            costs.wasted_offer = 50: a copy"),
]


@pytest.fixture(scope="module")
def printed() -> list[str]:
    """Execute the notebook in a fresh kernel; return every line its code cells printed."""
    notebook = jupytext.read(NOTEBOOK)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    errors = [f"{output.ename}: {output.evalue}" for output in outputs if output.output_type == "error"]
    assert not errors, errors
    return "".join(output.get("text", "") for output in outputs if output.output_type == "stream").splitlines()


def test_running_cell_3_twice_changes_the_result_and_a_fresh_run_gives_it_back(printed):
    assert "same code, same data, same number: False" in printed
    assert "ROC AUC after a fresh run of [1]-[5]: 0.8633; first run again: True" in printed
    evaluations = [line for line in printed if line.startswith("ROC AUC 0.")]
    assert evaluations[0] != evaluations[1] and evaluations[2] == evaluations[0]  # in order, [3] twice, fresh


def test_the_paths_settings_cleaning_pickle_and_tests_problems_show(printed):
    assert "/Users/maria/Downloads/churn_export_final.csv exists here: False" in printed
    settings = [line for line in printed if line.startswith(("[4] ", "[5] "))]
    assert len(settings) == 7 and sum(line.endswith("DIFFERS") for line in settings) == 2
    assert sum(line.endswith(": a copy") for line in settings) == 5
    assert any(line.startswith("ValueError: ") for line in printed)  # the pickle cannot score new customers
    assert "functions in cells [1]-[6]: 0" in printed
    assert any(line.startswith("the fitted pipeline scores the same 3 customers: [") for line in printed)


@pytest.mark.parametrize(("on_the_page", "notebook_line"), QUOTES, ids=[quote[1][:40] for quote in QUOTES])
def test_every_number_the_page_quotes_is_what_the_notebook_printed(printed, on_the_page, notebook_line):
    assert on_the_page in PAGE.text, f"{PAGE.name} should say {on_the_page!r}"
    assert notebook_line in printed, f"the notebook should print {notebook_line!r}"


def test_the_notebook_defines_no_function_in_part_1_and_the_project_tests_validate():
    """What "No function, no test" says: Part 1's cells define none; test_validate.py calls validate."""
    cells = [cell.source for cell in jupytext.read(NOTEBOOK).cells
             if cell.cell_type == "code" and cell.source.startswith(("# [1]", "# [2]", "# [3]", "# [4]", "# [5]",
                                                                    "# [6]"))]
    assert len(cells) == 6
    assert not [node for source in cells for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)]
    tests = (ROOT / "tests/examples/test_validate.py").read_text(encoding="utf-8")
    assert "validate(" in tests and tests.count("\ndef test_") == 28  # "in 28 tests such as ..."
    assert "def test_blank_total_charges_in_the_first_month_becomes_zero(" in tests
    assert "in 28 tests such as `test_blank_total_charges_in_the_first_month_becomes_zero`" in PAGE.text


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab62")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "one_big_notebook.ipynb")


def test_the_lab_writes_the_notebooks_export_validates_it_and_runs_the_notebook(lab):
    from churn.generate import Quality, generate_customers, write_table

    result, folder = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout.splitlines()
    assert "wrote 10000 rows to churn_export.csv" in out
    expected = folder / "expected.csv"  # the export the notebook's first cell writes
    write_table(generate_customers(10_000, seed=42, quality=Quality(blank_total_charges_share=0.01,
                                                                     duplicate_share=0.01, out_of_range_share=0.005)),
                expected)
    assert (folder / "churn_export.csv").read_bytes() == expected.read_bytes()
    assert "validation: 10000 rows in, 9850 rows out: OK" in out and "exit code: 0" in out
    assert sum(line.startswith("customerID     | duplicate               | 100") for line in out) == 1
    trust = "[jupytext] Warning: Notebook is not trusted"  # printed until Jupyter has signed the notebook once
    step_3 = [line for line in out[out.index("exit code: 0") + 1 :] if line != trust]
    block = PAGE.output_block("Output of step 3 (stdout)")
    assert len(block) == len(step_3), "\n".join(step_3)
    assert all(as_pattern(line).fullmatch(real) for line, real in zip(block, step_3, strict=True)), "\n".join(step_3)
    assert "real\t" in result.stderr and "user\t" in result.stderr  # step 3's time


def test_the_modules_fix_what_the_page_says_on_the_same_export(tmp_path):
    """`load_training_data` validates and splits by the config; the fitted pipeline makes 45 columns of 3 rows."""
    from churn.config import load_config
    from churn.features import build_pipeline, feature_frame, target
    from churn.generate import Quality, generate_customers, write_table
    from churn.train import load_training_data
    from churn.validate import validate

    export = tmp_path / "churn_export.csv"
    write_table(generate_customers(10_000, seed=42, quality=Quality(blank_total_charges_share=0.01,
                                                                     duplicate_share=0.01, out_of_range_share=0.005)),
                export)
    config = load_config(ROOT / "examples/configs/default.yaml")
    data = load_training_data(config, export)
    assert len(data.train) + len(data.test) == 9_850 and len(data.test) == 1_970  # the config's 0.2 of it
    assert not data.train["customerID"].isin(data.test["customerID"]).any()  # no customer on both sides
    pipeline = build_pipeline(config.model.kind, config.model.params, seed=config.seed)
    pipeline.fit(feature_frame(data.train), target(data.train))
    import pandas as pd

    three, _ = validate(pd.read_csv(export).head(3), require_target=False)
    assert pipeline[0].transform(feature_frame(three)).shape == (3, 45)  # "the same 45 columns as 10,000"
    assert pipeline[0].transform(feature_frame(data.test)).shape[1] == 45
