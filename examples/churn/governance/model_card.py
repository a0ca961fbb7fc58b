"""The model card: what a registered model version is, what it is for, how well it does, who approved it.

``churn model-card [VERSION | --alias champion] [--output-dir governance]`` writes
``model_card_v<version>.md`` and ``model_card_v<version>.html`` (self-contained: inline CSS, no
script, no font or stylesheet from elsewhere). Everything on the card is *read*, never recomputed:

- from the registry: the version, its aliases, its tags (``threshold``, ``data_fingerprint``, the
  gate's ``gate`` and, from the approval step, ``approved_by``, ``approved_at``, ``approval_reason``,
  ``gate_result``), and the same tags of every other version for the history;
- from the version's training run: the configuration (params), the held-out metrics, the slice
  metrics ``churn train`` logged (``slice.gender.Female.roc_auc``, ``slice_gap.gender.recall`` ...:
  [`churn.evaluate.slice_metrics()`][churn.evaluate.slice_metrics]), the data source and the code version.

The intended use, the out-of-scope uses and the known limits are the case's (lectures 4.1 and 4.2);
their numbers (threshold, costs, gate) come from the run, so the card cannot quote other ones.
The content is built once as a list of sections and rendered twice, to Markdown and to HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churn.evaluate import GAP_METRICS, SLICE_COLUMNS
from churn.governance.versions import resolve_version

GAP_TOLERANCE = 0.05
FLAGGED_GAP_METRICS = ("roc_auc", "recall", "precision")  # the churn-rate gap describes the data, not the model
Z_95 = 1.96  # a 95% interval is the estimate ± 1.96 standard errors (normal approximation)
APPROVAL_TAGS = ("approved_by", "approved_at", "approval_reason", "gate_result")
METRIC_NAMES = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "precision": "Precision at the threshold",
                "recall": "Recall at the threshold", "f1": "F1 at the threshold",
                "cost_per_1000": "Cost per 1,000 customers", "saving_per_1000": "Saving per 1,000 customers"}
SLICE_HEADER = {"count": "customers", "churners": "churners", "churn_rate": "churn rate", "roc_auc": "ROC AUC",
                "recall": "recall", "precision": "precision"}


# --- what the card reads --------------------------------------------------------------------------
@dataclass(frozen=True)
class CardData:
    """Everything the card shows, as read from the registry and the run."""

    model_name: str
    version: str
    aliases: dict[str, str]  # every alias of the registered model -> its version
    created_at: str
    version_tags: dict[str, str]
    run_id: str
    params: dict[str, str]
    metrics: dict[str, float]
    run_tags: dict[str, str]
    history: list[dict[str, Any]] = field(default_factory=list)  # per version: version, created_at, tags

    def aliases_of(self, version: str) -> list[str]:
        """The aliases that point at ``version``, sorted."""
        return sorted(alias for alias, target in self.aliases.items() if target == version)


def _iso(milliseconds: int | None) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds") if milliseconds else ""


def read_card_data(tracking_uri: str | None, model_name: str = "churn", version: str | None = None,
                   alias: str | None = None) -> CardData:
    """Read one version (by number, else by alias, default ``champion``) and its run from the registry.

    Raises:
        churn.governance.versions.UnknownVersion: No such registered model, version or alias.
    """
    from churn.registry import registry_client

    client = registry_client(tracking_uri)
    chosen = resolve_version(client, model_name, version, alias)
    aliases = {name: str(target) for name, target in client.get_registered_model(model_name).aliases.items()}
    versions = sorted(client.search_model_versions(f"name='{model_name}'"), key=lambda item: int(item.version))
    run = client.get_run(chosen.run_id)
    history = [{"version": str(item.version), "created_at": _iso(item.creation_timestamp), "tags": dict(item.tags)}
               for item in versions]
    return CardData(model_name, str(chosen.version), aliases, _iso(chosen.creation_timestamp), dict(chosen.tags),
                    chosen.run_id, dict(run.data.params), dict(run.data.metrics), dict(run.data.tags), history)


def slices_of(metrics: Mapping[str, float]) -> dict[str, dict[str, dict[str, float]]]:
    """``slice.<column>.<value>.<metric>`` metrics as column -> value -> metric -> number."""
    slices: dict[str, dict[str, dict[str, float]]] = {}
    for key, number in metrics.items():
        parts = key.split(".")
        if parts[0] == "slice" and len(parts) == 4:
            slices.setdefault(parts[1], {}).setdefault(parts[2], {})[parts[3]] = number
    return slices


# --- the card as sections -------------------------------------------------------------------------
@dataclass(frozen=True)
class Flag:
    """A table cell to draw attention to (a gap above the tolerance)."""

    text: str


Cell = str | Flag


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    header: list[str]
    rows: list[list[Cell]]


Block = str | list[str] | Table  # a paragraph, a bullet list, a table


@dataclass(frozen=True)
class Section:
    """A titled part of the card."""

    title: str
    blocks: list[Block]


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _param(card: CardData, key: str, default: str = "not recorded") -> str:
    return card.params.get(key, default)


def details_section(card: CardData) -> Section:
    """Name, version, aliases, kind, run, code version, threshold."""
    commit = card.run_tags.get("mlflow.source.git.commit")
    code = f"`{commit}`" + (" (with uncommitted changes)" if card.run_tags.get("git_dirty") == "true" else "") \
        if commit else "not recorded (trained outside a Git checkout)"
    rows = [["Registered model", f"`{card.model_name}`"], ["Version", card.version],
            ["Aliases", ", ".join(f"`{alias}`" for alias in card.aliases_of(card.version)) or "none"],
            ["Model kind", f"`{_param(card, 'model.kind')}`"], ["Training run", f"`{card.run_id}`"],
            ["Registered at", card.created_at or "not recorded"], ["Code version (Git commit)", code],
            ["Decision threshold", card.version_tags.get("threshold", _param(card, "threshold"))]]
    return Section("Model details", [Table(["", ""], rows)])


def intended_use_section(card: CardData) -> Section:
    """The case's users, decision rule and costs, with the numbers of this run."""
    threshold = card.version_tags.get("threshold", _param(card, "threshold"))
    missed, wasted = _param(card, "costs.missed_churner"), _param(card, "costs.wasted_offer")
    try:
        missed, wasted = f"{float(missed):g}", f"{float(wasted):g}"  # 500, as the case card writes it, not 500.0
        break_even = f", break-even probability {float(wasted) / (float(missed) + float(wasted)):.3f}"
    except ValueError:
        break_even = ""
    return Section("Intended use", [
        "Rank the telecom's customers by their probability of leaving within the month, so that the retention "
        "team's limited offers reach the customers who can still be kept.",
        ["Users: the retention team (agents who call, the campaign manager who decides whom they call, a limited "
         "offer budget); analysts join the prediction log with the outcomes after the month.",
         f"Decision rule: call a customer whose churn probability is at or above {threshold}.",
         "Cadence: weekly batch scoring builds Monday's call list (`POST /predict/batch`); the CRM screen "
         "scores one customer on demand (`POST /predict`).",
         f"Costs assumed by the project: a missed churner {missed}, a wasted offer {wasted}{break_even}.",
         "Input: one record of the customer data contract (19 features); records that break it are refused."],
    ])


def out_of_scope_section() -> Section:
    """Uses the model was not built or checked for."""
    return Section("Out-of-scope use", [[
        "Any decision other than whom to offer a retention call: prices, credit, contract terms, collections, "
        "or denying a service.",
        "Decisions without a person: the score puts a customer on a call list; an agent decides and talks to them.",
        "Customers the training data does not describe: business accounts, other products or markets, or data "
        "from another source, without retraining and a new card.",
        "Saying why a customer leaves or when: the label is only \"left within the month\", and the explanations "
        "(`churn explain`) describe the model's arithmetic, not causes.",
        "Treating groups differently by `gender` or `SeniorCitizen`: they are inputs of this model, and the "
        "slice metrics below show how it performs for each group; they are no grounds for a different treatment.",
    ]])


def data_section(card: CardData) -> Section:
    """Source, fingerprint and size of the data."""
    rows = [["Source", f"`{card.run_tags.get('data_source', _param(card, 'data.path'))}`"],
            ["Fingerprint (SHA-256 of the training and test rows)",
             f"`{card.run_tags.get('data_fingerprint') or card.version_tags.get('data_fingerprint', 'not recorded')}`"],
            ["Training rows", card.run_tags.get("rows_train", "not recorded")],
            ["Test rows (held out)", card.run_tags.get("rows_test", "not recorded")],
            ["Split", f"test share {_param(card, 'test_size')}, stratified by Churn, seed {_param(card, 'seed')}"],
            ["Validation report", "`validation_report.txt` in the run's artifacts"]]
    return Section("Training data", [Table(["", ""], rows)])


def config_section(card: CardData) -> Section:
    """Every parameter of the run, as logged."""
    return Section("Training configuration", [
        "The experiment configuration as the run logged it (`churn train --config ...`).",
        Table(["parameter", "value"], [[f"`{key}`", f"`{value}`"] for key, value in sorted(card.params.items())]),
    ])


def metrics_section(card: CardData) -> Section:
    """The held-out metrics and the gate's minimums."""
    rows = [[label, _number(card.metrics.get(key), 0 if "1000" in key else 3)]
            for key, label in METRIC_NAMES.items() if key in card.metrics]
    return Section("Metrics (held-out test split)", [
        Table(["metric", "value"], rows),
        f"Promotion gate: ROC AUC at least {_param(card, 'promotion.min_roc_auc')}, PR AUC at least "
        f"{_param(card, 'promotion.min_pr_auc')}, and the champion's {_param(card, 'promotion.metric')} beaten by "
        f"{_param(card, 'promotion.margin')}.",
    ])


def _gap_interval(gap: float, standard_error: float | None) -> str:
    """``0.062 ± 0.041``: the gap and the half-width of its 95% interval (1.96 standard errors)."""
    return f"{gap:.3f}" if standard_error is None else f"{gap:.3f} ± {Z_95 * standard_error:.3f}"


def slice_section(card: CardData, tolerance: float = GAP_TOLERANCE) -> Section:
    """Metrics per ``gender`` and ``SeniorCitizen`` value, with the gap between slices flagged above ``tolerance``.

    Each gap is shown with its 95% interval (``slice_gap_se.*``, logged by ``churn train``). A flagged
    gap whose interval reaches below the tolerance is named as such: the held-out split is too small
    to tell it from sampling noise.
    """
    slices = slices_of(card.metrics)
    blocks: list[Block] = [
        f"Computed by `churn train` on the held-out test split, at the decision threshold. The gap is the largest "
        f"minus the smallest value over a column's slices, shown with its 95% interval (± 1.96 standard errors: "
        f"Hanley and McNeil's for ROC AUC, the binomial one for recall over the slice's churners, precision over "
        f"the customers called and the churn rate). A gap above {tolerance:g} in ROC AUC, recall or precision is "
        f"flagged (the project's tolerance; `--gap-tolerance` changes it). The churn-rate gap describes the data, "
        f"not the model, and is not flagged. Small slices, and few churners in a slice, give wide intervals: a gap "
        f"whose interval reaches below the tolerance may be noise of this test split."]
    if not slices:
        return Section("Slice metrics", [*blocks, "Not recorded: this run was trained before slice metrics "
                                                  "were logged; retrain to get them."])
    flagged = []
    columns = ["count", "churners", "churn_rate", "roc_auc", "recall", "precision"]
    counts = ("count", "churners")
    for column in SLICE_COLUMNS:
        found = slices.get(column, {})
        rows: list[list[Cell]] = [[f"`{column}` = {value}", *(
            (str(int(metrics[name])) if name in metrics else "n/a") if name in counts
            else _number(metrics.get(name)) for name in columns)]
            for value, metrics in sorted(found.items())]
        gap_row: list[Cell] = ["gap (max - min), 95% interval", "", ""]
        for name in columns[2:]:
            gap = card.metrics.get(f"slice_gap.{column}.{name}") if name in GAP_METRICS else None
            error = card.metrics.get(f"slice_gap_se.{column}.{name}")
            if gap is None:
                gap_row.append(_number(gap))
            elif name in FLAGGED_GAP_METRICS and gap > tolerance:
                gap_row.append(Flag(f"{_gap_interval(gap, error)} > {tolerance:g}"))
                noise = "" if error is None or gap - Z_95 * error > tolerance else \
                    " (its interval reaches below the tolerance: possibly noise of the test split)"
                flagged.append(f"`{column}` {SLICE_HEADER[name]} gap {_gap_interval(gap, error)}{noise}")
            else:
                gap_row.append(_gap_interval(gap, error))
        blocks.append(Table([column, *(SLICE_HEADER[name] for name in columns)], [*rows, gap_row]))
    blocks.append("Above the tolerance: " + "; ".join(flagged) + "." if flagged
                  else f"No gap in ROC AUC, recall or precision is above {tolerance:g}.")
    return Section("Slice metrics", blocks)


def limits_section(card: CardData) -> Section:
    """What the numbers do not say (lectures 4.1 and 4.2)."""
    source = card.run_tags.get("data_source", "")
    synthetic = source.startswith("generated") or not source
    return Section("Known limits", [[
        ("Trained on synthetic customers from `churn generate`: the numbers describe the project, not a real "
         "market. The generator's own probabilities reach a ROC AUC of about 0.86 (its docstring; lecture 4.1), "
         "the ceiling for any model on this data."
         if synthetic else "Trained on the file above; check that it represents the customers who are scored."),
        "A single snapshot with no dates: features and labels cannot be placed in time, so a feature recorded "
        "after the customer decided would go unnoticed.",
        "No usage, support tickets, outages or past offers: often the strongest signals of churn.",
        "One label for leaving by choice and for being cut off for not paying, which need different actions.",
        "The default threshold was chosen from held-out metrics (lecture 4.2's lab), and the metrics at the "
        "threshold here are held-out metrics too: no separate split confirms the choice, which flatters it.",
        "The cost metric assumes every offer keeps a churner; a real save rate needs a holdout group.",
        "Calibration is not checked on this card: lecture 4.2 found the default model's probabilities close to "
        "calibrated, not perfect, and drift changes them (monitoring: `churn drift`).",
    ]])


def _tag(tags: Mapping[str, str], key: str) -> str:
    return tags.get(key, "")


def gate_result_rows(text: str) -> list[list[Cell]]:
    """The ``gate_result`` tag (JSON) as key/value rows; text that is not a JSON object as one row."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [["gate_result", f"`{text}`"]]
    if not isinstance(document, dict):
        return [["gate_result", f"`{text}`"]]
    return [[f"`{key}`", f"`{value}`" if isinstance(value, str) else f"`{json.dumps(value)}`"]
            for key, value in document.items()]


def approval_section(card: CardData) -> Section:
    """This version's approval and gate, then every version's, from the registry tags and aliases."""
    tags = card.version_tags
    if tags.get("approved_by"):
        approval: Block = Table(["", ""], [["Approved by", tags["approved_by"]],
                                           ["Approved at", _tag(tags, "approved_at")],
                                           ["Reason", _tag(tags, "approval_reason")]])
    else:
        approval = "No approval is recorded on this version (tags `approved_by`, `approved_at`, `approval_reason`)."
    if tags.get("gate_result"):
        gate: Block = Table(["gate result", "value"], gate_result_rows(tags["gate_result"]))
    elif tags.get("gate"):
        gate = f"Gate: {tags['gate']} (tag `gate` of `churn promote`; no detailed `gate_result` recorded)."
    else:
        gate = "No promotion gate has run on this version."
    events = [f"{label}: {tags[key]}" for key, label in (("promoted_at", "Promoted to champion"),
                                                        ("rolled_back_at", "Rolled back")) if tags.get(key)]
    history = Table(["version", "aliases", "registered", "gate", "approved by", "approved at", "reason"], [
        [item["version"], ", ".join(card.aliases_of(item["version"])) or "", item["created_at"],
         _gate_summary(item["tags"]), _tag(item["tags"], "approved_by"), _tag(item["tags"], "approved_at"),
         _tag(item["tags"], "approval_reason")] for item in card.history])
    return Section("Approval and promotion", [approval, gate, *([events] if events else []),
                                              "History of the registered model (every version, its aliases now):",
                                              history])


def _gate_summary(tags: Mapping[str, str]) -> str:
    if tags.get("gate_result"):
        try:
            passed = json.loads(tags["gate_result"]).get("passed")
        except (json.JSONDecodeError, AttributeError):
            passed = None
        if passed is not None:
            return "passed" if passed else "failed"
    return tags.get("gate", "")


def card_sections(card: CardData, tolerance: float = GAP_TOLERANCE) -> list[Section]:
    """The whole card, in reading order."""
    return [details_section(card), intended_use_section(card), out_of_scope_section(), data_section(card),
            config_section(card), metrics_section(card), slice_section(card, tolerance), limits_section(card),
            approval_section(card)]


# --- rendering ------------------------------------------------------------------------------------
def _title(card: CardData) -> str:
    return f"Model card: {card.model_name} v{card.version}"


def _intro(card: CardData, generated_at: str) -> str:
    return (f"Generated {generated_at} by `churn model-card {card.version}` from the model registry and the "
            f"training run; regenerate it rather than editing it.")


def _markdown_cell(cell: Cell) -> str:
    text = f"**{cell.text}**" if isinstance(cell, Flag) else cell
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(card: CardData, sections: list[Section], generated_at: str) -> str:
    """The card as Markdown (GitHub and MkDocs render its tables)."""
    lines = [f"# {_title(card)}", "", _intro(card, generated_at), ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                header = block.header if any(block.header) else ["item", "value"]  # Markdown needs a header row
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "---|" * len(block.header))
                lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in block.rows]
            elif isinstance(block, list):
                lines += [f"- {item}" for item in block]
            else:
                lines.append(block)
            lines.append("")
    return "\n".join(lines)


CODE = re.compile(r"`([^`]*)`")
STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328;
       background: #fff; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid #d0d7de; }
p.intro { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td { overflow-wrap: anywhere; }
code { font: .88em ui-monospace, "DejaVu Sans Mono", monospace; background: #f6f8fa; padding: 0 .2em;
       border-radius: 3px; }
.flag { background: #fff1e5; color: #953800; font-weight: 600; }
ul { padding-left: 1.4rem; }
"""


def _inline_html(text: str) -> str:
    """Escape ``text`` and turn its `code` spans into ``<code>``."""
    return CODE.sub(lambda match: f"<code>{match.group(1)}</code>", html.escape(text, quote=False))


def _html_cell(cell: Cell) -> str:
    if isinstance(cell, Flag):
        return f'<td class="flag">{_inline_html(cell.text)}</td>'
    return f"<td>{_inline_html(cell)}</td>"


def to_html(card: CardData, sections: list[Section], generated_at: str) -> str:
    """The card as one self-contained HTML page: inline CSS, no script, nothing loaded from elsewhere."""
    body = [f"<h1>{_inline_html(_title(card))}</h1>",
            f'<p class="intro">{_inline_html(_intro(card, generated_at))}</p>']
    for section in sections:
        body.append(f"<h2>{_inline_html(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                header = "".join(f"<th>{_inline_html(name)}</th>" for name in block.header) \
                    if any(block.header) else ""
                rows = "".join("<tr>" + "".join(_html_cell(cell) for cell in row) + "</tr>" for row in block.rows)
                body.append("<table>" + (f"<thead><tr>{header}</tr></thead>" if header else "")
                            + f"<tbody>{rows}</tbody></table>")
            elif isinstance(block, list):
                body.append("<ul>" + "".join(f"<li>{_inline_html(item)}</li>" for item in block) + "</ul>")
            else:
                body.append(f"<p>{_inline_html(block)}</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(_title(card))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def write_model_card(card: CardData, output_dir: str | Path = "governance", tolerance: float = GAP_TOLERANCE,
                     generated_at: str | None = None) -> tuple[Path, Path]:
    """Write ``model_card_v<version>.md`` and ``.html`` into ``output_dir`` (made if missing); return both paths.

    Raises:
        churn.ingest.DataError: A file cannot be written; nothing is left half-written.
    """
    from churn.ingest import write_whole

    generated_at = generated_at or datetime.now(UTC).isoformat(timespec="seconds")
    sections = card_sections(card, tolerance)
    folder = Path(output_dir)
    markdown, page = folder / f"model_card_v{card.version}.md", folder / f"model_card_v{card.version}.html"
    texts = {markdown: to_markdown(card, sections, generated_at), page: to_html(card, sections, generated_at)}
    for path, text in texts.items():
        write_whole(path, lambda partial, text=text: partial.write_text(text, encoding="utf-8"))
    return markdown, page
