"""Lecture 9.7: the orchestration boundary the page describes is the project's.

The page says the ML pipeline's first asset, ``raw_customers``, depends on no asset of the data
team's (the boundary is the file ``CHURN_DATA`` names), that the training schedule is a clock on the
1st at 20:00 UTC, that the Dagster APIs it names for the other designs exist in the installed
version, and that its RACI chart keeps lecture 1.6's and 3.6's choices. Each is checked here.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.examples.lab_session import LecturePage

dg = pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                           "pip install -e 'examples[pipeline]'")

from churn.pipeline.definitions import defs  # noqa: E402
from churn.pipeline.resources import settings_from_environment  # noqa: E402
from churn.pipeline.schedules import monthly_retraining  # noqa: E402

PAGE = LecturePage.of("9.7")


def table_rows(text: str, first_cell: str) -> list[str]:
    """The cells of the Markdown table rows of ``text`` whose first cell starts with ``first_cell``."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(first_cell):
            return cells
    raise AssertionError(f"no table row starting with {first_cell!r}")


def test_the_ml_pipeline_starts_at_a_file_not_at_the_data_teams_assets():
    graph = defs.resolve_asset_graph()
    raw = graph.get(dg.AssetKey("raw_customers"))
    assert not raw.parent_keys, "raw_customers reads a file; no asset of another team is upstream of it"
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} >= {"raw_customers", "weekly_scores"}
    assert "`raw_customers` has no upstream asset" in PAGE.text


def test_the_file_comes_from_churn_data(monkeypatch):
    monkeypatch.setenv("CHURN_DATA", "/data/customers.parquet")
    assert settings_from_environment().data_path == "/data/customers.parquet"
    assert "(`CHURN_DATA`)" in PAGE.text


def test_the_clock_is_the_monthly_schedule_the_page_names():
    assert monthly_retraining.cron_schedule == "0 20 1 * *" and monthly_retraining.execution_timezone == "UTC"
    assert "`monthly_retraining` runs on the 1st at 20:00 UTC" in PAGE.text


def test_the_dagster_apis_the_page_names_exist():
    assert dg.__version__.startswith("1.13."), "the page says Dagster 1.13"
    policy = dg.FreshnessPolicy.cron(deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24))
    assert 'dg.FreshnessPolicy.cron(deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24))' in PAGE.text
    spec = dg.AssetSpec("customer_table", owners=["team:data-platform"], freshness_policy=policy)
    assert spec.owners == ["team:data-platform"]
    assert callable(dg.asset_sensor)


def test_freshness_policies_supersede_freshness_checks_and_are_not_marked_preview():
    from dagster._symbol_annotations import is_beta, is_deprecated, is_preview, is_superseded

    assert is_superseded(dg.build_last_update_freshness_checks)
    with pytest.warns(dg.SupersessionWarning):
        dg.build_last_update_freshness_checks(assets=["customer_table"], lower_bound_delta=timedelta(hours=24))
    assert not (is_preview(dg.FreshnessPolicy) or is_beta(dg.FreshnessPolicy))
    assert is_deprecated(dg.LegacyFreshnessPolicy)
    assert "preview" not in PAGE.section("Triggers across the boundary")


def test_an_external_asset_is_tracked_never_materialised_and_its_updates_are_reported():
    node = dg.Definitions(assets=[dg.AssetSpec("customer_table")]).resolve_asset_graph().get(
        dg.AssetKey("customer_table"))
    assert node.is_external and not node.is_materializable
    webserver = pytest.importorskip("dagster_webserver.external_assets")
    assert callable(webserver.handle_report_asset_materialization_request)
    assert "`/report_asset_materialization/`" in PAGE.text
    with dg.instance_for_test() as instance:  # what a sensor of ours, or the endpoint, records
        instance.report_runless_asset_event(dg.AssetMaterialization("customer_table"))
        assert instance.get_latest_materialization_event(dg.AssetKey("customer_table")) is not None


def test_the_raci_keeps_lectures_1_6_and_3_6():
    raci = PAGE.section("A RACI chart for orchestration")
    assert table_rows(raci, "Promote a version")[1:] == ["I", "R", "A", "-"]
    assert table_rows(raci, "Data honours the contract")[1:3] == ["A", "R"]
    assert table_rows(raci, "Retrain on the month's labels")[1:3] == ["R", "A, R"]
    roles = LecturePage.of("1.6").text
    promote = table_rows(roles, "Promote a version to `champion`")
    assert promote[1:3] == ["MLOps engineer", "Data scientist (model owner)"]
    stages = LecturePage.of("3.6").text
    retrain = table_rows(stages, "Retrain on new labels")
    assert retrain[1] == "R" and retrain[4] == "A, R"
    ingest = table_rows(stages, "Ingest and validate data")
    assert ingest[1] == "A, R" and ingest[4] == "R"
    assert re.search(r"Data engineer on-call \| The `DataError` message", PAGE.text)
