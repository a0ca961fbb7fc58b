"""Lecture 9.4: the design diagrams are the code's, and the lab prints the real asset graph.

The first diagram of the page draws the training job's asset graph with the asset names as node ids;
it must have exactly the job's assets and exactly the dependencies the Dagster Definitions hold, so
the picture cannot drift from ``examples/churn/pipeline/``. The gates diagram's rule count and the
page's tables of triggers and failures are compared with the code too. The lab's steps are then run
in one bash session as a student runs them, its output blocks compared with that run, and the
script's functions run in this process (its bad input included), so the region the page shows is
measured.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from tests.examples.lab_session import ROOT, LecturePage, fences, run_session

dg = pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                           "pip install -e 'examples[pipeline]'")

from churn.pipeline.checks import CONTRACT_RULES  # noqa: E402
from churn.pipeline.definitions import defs  # noqa: E402

spec = importlib.util.spec_from_file_location("s09_asset_graph", ROOT / "examples/lectures/s09/asset_graph.py")
asset_graph = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = asset_graph  # the dataclass looks its module up while it is defined
spec.loader.exec_module(asset_graph)

pytestmark = pytest.mark.lab  # three runs of the script, each importing Dagster in a process of its own

PAGE = LecturePage.of("9.4")
ARROW = re.compile(r"^\s*(\w+)\s*-->\s*(\w+)\s*$")


def diagram(title: str) -> str:
    """The Mermaid fence of the page whose accTitle is ``title``."""
    found = [body for body in fences(PAGE.text, "mermaid") if f"accTitle: {title}" in body]
    assert len(found) == 1, f"{PAGE.name}: expected one diagram titled {title!r}, found {len(found)}"
    return found[0]


def diagram_edges(body: str) -> set[tuple[str, str]]:
    """The ``a --> b`` lines of a diagram as (upstream, downstream) pairs."""
    return {(match.group(1), match.group(2)) for line in body.splitlines() if (match := ARROW.match(line))}


def test_the_asset_diagram_draws_exactly_the_jobs_assets_and_dependencies():
    nodes = asset_graph.job_graph(defs, "churn_training")
    drawn = diagram_edges(diagram("The churn training job's asset graph"))
    assert drawn == asset_graph.edges(nodes), "the diagram's arrows must be the Definitions' dependencies"
    assert {name for edge in drawn for name in edge} == {node.name for node in nodes}
    assert "classDef gate" in diagram("The churn training job's asset graph")


def test_the_gates_diagram_counts_the_contract_rules_and_the_gates_are_where_the_page_says():
    body = diagram("Where the churn pipeline can say no")
    assert f"Contract checks: {len(CONTRACT_RULES)} rules" in body
    nodes = {node.name: node for node in asset_graph.job_graph(defs, "churn_training")}
    assert nodes["validated_customers"].checks == len(CONTRACT_RULES)
    assert "class validated_customers,promotion_decision gate" in diagram("The churn training job's asset graph")


def test_the_triggers_on_the_page_are_the_definitions():
    assert asset_graph.triggers(defs, "churn_training") == [
        "schedule monthly_retraining: cron '0 20 1 * *' UTC",
        "sensor retrain_signal_sensor: checks at most every 60 s"]
    assert asset_graph.triggers(defs, "churn_scoring") == ["schedule weekly_scoring: cron '0 2 * * 1' UTC"]
    section = PAGE.section("What starts a run")
    assert "1st at 20:00 UTC" in section and "Mondays at 02:00" in section


def test_the_failure_table_names_the_retried_assets():
    retried = {node.name for node in asset_graph.job_graph(defs, "churn_training") if node.retries}
    section = PAGE.section("Where a failure stops the run")
    rows = [line for line in section.splitlines() if "3 retries" in line]
    assert {re.search(r"`(\w+)`", row).group(1) for row in rows} <= retried
    assert retried == {"raw_customers", "registered_challenger", "promotion_decision"}


def test_the_default_io_manager_pickles_each_asset_under_dagster_home(tmp_path):
    assert "io_manager" not in (defs.resources or {}), "the page says the project sets no I/O manager"

    @dg.asset
    def parent() -> dict:
        return {"rows": 3}

    @dg.asset
    def child(parent: dict) -> int:
        return parent["rows"]

    job = dg.Definitions(assets=[parent, child]).resolve_implicit_global_asset_job_def()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert job.execute_in_process(instance=instance).success
        assert (tmp_path / "storage" / "parent").is_file() and (tmp_path / "storage" / "child").is_file()
        # rebuild one asset from its stored parent, without running the parent again
        again = job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("child")])
        assert again.success and again.output_for_node("child") == 3
    assert "`$DAGSTER_HOME/storage/`" in PAGE.section("What flows along each arrow")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session."""
    return run_session("\n".join(PAGE.steps()), tmp_path_factory.mktemp("lab94"), cwd=ROOT)


def test_the_lab_prints_what_the_page_shows(lab):
    assert lab.returncode == 0, lab.stdout + lab.stderr
    out = lab.stdout.splitlines()
    shown = PAGE.output_block("asset_graph.py")
    assert out[: len(shown)] == shown
    printed = {(m.group(1), m.group(2)) for line in out if (m := ARROW.match(line))}
    assert printed == diagram_edges(diagram("The churn training job's asset graph")), "step 2: the diagram's edges"
    assert "  weekly_scores         <- (none)" in out and "  schedule weekly_scoring: cron '0 2 * * 1' UTC" in out
    error = PAGE.output_block("a job that does not exist")
    assert lab.stderr.splitlines()[-1] == error[0] and out[-1] == error[1]


def test_the_script_in_process_and_its_bad_input(capsys):
    assert asset_graph.main([]) == 0
    assert capsys.readouterr().out.splitlines() == PAGE.output_block("asset_graph.py")
    assert asset_graph.main(["--mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart TB\n")
    assert asset_graph.main(["--job", "nope"]) == 2
    captured = capsys.readouterr()
    assert "--job 'nope' is not a job" in captured.err and "churn_scoring, churn_training" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
