"""The model card: read from the registry and the run, written as Markdown and self-contained HTML."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGISTRY, main
from churn.config import load_config
from churn.evaluate import SLICE_COLUMNS, auc_standard_error
from churn.governance.approvals import Approval, promote
from churn.governance.model_card import read_card_data, slices_of
from churn.registry import registry_client
from churn.tracking import log_run
from churn.train import load_training_data, train

ROWS = 2000
GATE_RESULT = {"passed": True, "metric": "roc_auc", "challenger": 0.861, "champion": None, "margin": 0.002}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """v1: trained, promoted and approved (tags as the approval step sets them); v2: a challenger, not approved."""
    tracking_uri = f"sqlite:///{tmp_path_factory.mktemp('card-mlflow') / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": ROWS}, tracking={"uri": tracking_uri})
    data = load_training_data(config)
    result = train(config, data)
    first = log_run(result, config)
    assert promote(config, data.test, Approval("ana", "meets the gate; slices reviewed")).promoted
    client = registry_client(tracking_uri)
    approval = {"approved_by": "ana", "approved_at": "2026-05-04T09:30:00+00:00",
                "approval_reason": "meets the gate; slices reviewed", "gate_result": json.dumps(GATE_RESULT)}
    for key, value in approval.items():
        client.set_model_version_tag("churn", first.version, key, value)
    second = log_run(result, config)
    return tracking_uri, first, second, client


def write_card(tmp_path, tracking_uri, *arguments: str) -> tuple[str, str]:
    folder = tmp_path / "governance"
    assert main(["model-card", *arguments, "--output-dir", str(folder), "--tracking-uri", tracking_uri]) == EXIT_OK
    (markdown,), (page,) = folder.glob("*.md"), folder.glob("*.html")
    return markdown.read_text(), page.read_text()


def test_training_logs_slice_metrics_and_their_gaps(registry):
    _, first, _, client = registry
    metrics = client.get_run(first.run_id).data.metrics
    slices = slices_of(metrics)
    assert set(slices) == set(SLICE_COLUMNS)
    assert set(slices["gender"]) == {"Female", "Male"} and set(slices["SeniorCitizen"]) == {"0", "1"}
    for column, values in slices.items():
        assert sum(found["count"] for found in values.values()) == int(client.get_run(first.run_id).data.tags[
            "rows_test"])
        for name in ("roc_auc", "recall", "precision", "churn_rate"):
            numbers = [found[name] for found in values.values()]
            assert metrics[f"slice_gap.{column}.{name}"] == pytest.approx(max(numbers) - min(numbers))
        # the gap's standard error: the two slices are independent samples (binomial for the churn rate)
        rates = [(found["churn_rate"], found["count"]) for found in values.values()]
        expected = math.sqrt(sum(rate * (1 - rate) / count for rate, count in rates))
        assert metrics[f"slice_gap_se.{column}.churn_rate"] == pytest.approx(expected)
        assert all(found["churners"] == round(found["churn_rate"] * found["count"]) for found in values.values())


def test_auc_standard_error_is_the_exact_null_variance_at_one_half():
    """At AUC 0.5, Hanley and McNeil's formula reduces to the Mann-Whitney variance (n1 + n0 + 1) / (12 n1 n0)."""
    for positives, negatives in ((30, 70), (120, 880)):
        expected = math.sqrt((positives + negatives + 1) / (12 * positives * negatives))
        assert auc_standard_error(0.5, positives, negatives) == pytest.approx(expected, rel=1e-12)
    assert auc_standard_error(0.85, 50, 150) > auc_standard_error(0.85, 500, 1500)  # more customers: narrower


def test_a_flagged_gap_within_sampling_noise_says_so(registry, tmp_path):
    """A gap above the tolerance whose 95% interval reaches below it is named as possibly noise."""
    tracking_uri, first, _, client = registry
    metrics = client.get_run(first.run_id).data.metrics
    gap, error = metrics["slice_gap.SeniorCitizen.recall"], metrics["slice_gap_se.SeniorCitizen.recall"]
    tolerance = max(gap - 1.96 * error / 2, 0)  # below the gap, above the interval's lower end
    assert gap > tolerance > gap - 1.96 * error
    markdown, _ = write_card(tmp_path, tracking_uri, "--gap-tolerance", f"{tolerance:.6f}")
    line = next(line for line in markdown.splitlines() if line.startswith("Above the tolerance: "))
    assert f"`SeniorCitizen` recall gap {gap:.3f} ± {1.96 * error:.3f} (its interval reaches below" in line


def test_card_of_the_champion_shows_data_slices_and_approval(registry, tmp_path, capsys):
    tracking_uri, first, second, client = registry
    markdown, page = write_card(tmp_path, tracking_uri)
    assert f"model card of churn v{first.version}" in capsys.readouterr().out
    run = client.get_run(first.run_id)
    assert markdown.startswith(f"# Model card: churn v{first.version}\n")
    assert run.data.tags["data_fingerprint"] in markdown and run.data.tags["data_fingerprint"] in page
    assert f"| Training run | `{first.run_id}` |" in markdown
    assert "| Aliases | `champion` |" in markdown
    assert "call a customer whose churn probability is at or above 0.35" in markdown  # the version's threshold tag
    assert "| `model.params.C` | `1.0` |" in markdown
    assert f"| ROC AUC | {run.data.metrics['roc_auc']:.3f} |" in markdown
    female = run.data.metrics["slice.gender.Female.roc_auc"]
    assert re.search(rf"\| `gender` = Female \| \d+ \| \d+ \| [0-9.]+ \| {female:.3f} \|", markdown)
    gap, error = run.data.metrics["slice_gap.gender.roc_auc"], run.data.metrics["slice_gap_se.gender.roc_auc"]
    assert "| gap (max - min), 95% interval |" in markdown and f"{gap:.3f} ± {1.96 * error:.3f}" in markdown
    for key, value in (("Approved by", "ana"), ("Approved at", "2026-05-04T09:30:00+00:00"),
                       ("Reason", "meets the gate; slices reviewed")):
        assert f"| {key} | {value} |" in markdown
    assert "| `challenger` | `0.861` |" in markdown and "| `passed` | `true` |" in markdown
    history = markdown.split("History of the registered model")[1]
    assert re.search(rf"\| {first.version} \| champion \| [^|]+ \| passed \| ana \|", history)
    assert re.search(rf"\| {second.version} \| challenger \| [^|]+ \|  \|  \|", history)
    for section in ("Intended use", "Out-of-scope use", "Known limits", "Slice metrics", "Approval and promotion"):
        assert f"## {section}" in markdown and f"<h2>{section}</h2>" in page


def test_gaps_above_the_tolerance_are_flagged(registry, tmp_path):
    tracking_uri, first, _, client = registry
    metrics = client.get_run(first.run_id).data.metrics
    gap, error = metrics["slice_gap.gender.precision"], metrics["slice_gap_se.gender.precision"]
    flagged, _ = write_card(tmp_path / "strict", tracking_uri, "--gap-tolerance", "0")
    assert f"**{gap:.3f} ± {1.96 * error:.3f} > 0**" in flagged and "Above the tolerance: " in flagged
    relaxed, page = write_card(tmp_path / "relaxed", tracking_uri, "--gap-tolerance", "1")
    assert "**" not in relaxed and "No gap in ROC AUC, recall or precision is above 1." in relaxed
    strict_page = (tmp_path / "strict" / "governance" / f"model_card_v{first.version}.html").read_text()
    assert 'class="flag"' in strict_page and 'class="flag"' not in page


def test_card_of_a_version_without_approval_says_so(registry, tmp_path):
    tracking_uri, _, second, _ = registry
    markdown, _ = write_card(tmp_path, tracking_uri, second.version)
    assert markdown.startswith(f"# Model card: churn v{second.version}")
    assert "No approval is recorded on this version" in markdown
    assert "No promotion gate has run on this version." in markdown
    assert read_card_data(tracking_uri, alias="challenger").version == second.version


class Collector(HTMLParser):
    """The tags and the attributes that could load something from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.references += [f"{tag} {name}={value}" for name, value in attrs if name in ("src", "href")]


def test_html_is_self_contained(registry, tmp_path):
    tracking_uri, _, _, _ = registry
    _, page = write_card(tmp_path, tracking_uri)
    parsed = Collector()
    parsed.feed(page)
    assert parsed.references == []
    assert "script" not in parsed.tags and "link" not in parsed.tags and "style" in parsed.tags
    assert "@import" not in page and "url(" not in page and "http" not in page
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<table>" in page and "<code>" in page and "&lt;" not in page.split("<body>")[0]


@pytest.mark.parametrize(("arguments", "message"), [(["9"], "has no version '9'; its versions: 1, 2"),
                                                    (["--alias", "nope"], "has no alias 'nope'")])
def test_unknown_version_or_alias_exits_3_with_one_line(registry, tmp_path, capsys, arguments, message):
    tracking_uri, _, _, _ = registry
    folder = tmp_path / "governance"
    code = main(["model-card", *arguments, "--output-dir", str(folder), "--tracking-uri", tracking_uri])
    err = capsys.readouterr().err
    assert code == EXIT_REGISTRY
    assert err.count("\n") == 1 and message in err
    assert not folder.exists()


def test_a_version_and_an_alias_together_are_bad_arguments(registry, tmp_path, capsys):
    tracking_uri, _, _, _ = registry
    code = main(["model-card", "1", "--alias", "champion", "--output-dir", str(tmp_path / "g"),
                 "--tracking-uri", tracking_uri])
    assert code == EXIT_BAD_INPUT and "give a VERSION or --alias, not both" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_unknown_model_exits_3(tmp_path, capsys):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["model-card", "--tracking-uri", empty, "--output-dir", str(tmp_path / "g")]) == EXIT_REGISTRY
    assert "no registered model 'churn'" in capsys.readouterr().err
