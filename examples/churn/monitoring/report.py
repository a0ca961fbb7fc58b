"""The drift report: ``drift.json`` for machines and ``drift.html`` for people.

The JSON has the fields the Prometheus exporter, the retraining trigger and the capstone read (see
[`summary`][churn.monitoring.report.summary]). The HTML page is one self-contained file: the styles are
inline, each plot is a PNG inside the page (a ``data:`` URI with alternative text), and nothing is
fetched from elsewhere, so it opens the same from a CI artifact, an e-mail or a folder without a network.
It leads with the verdict, then the scores, the table of every feature (worst first) and one plot per
drifted feature comparing the reference with the current window, and ends with the JSON itself.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from churn.config import MonitoringConfig
from churn.monitoring.drift import CATEGORICAL, SCORE_COLUMN, DriftResult, FeatureDrift
from churn.monitoring.windows import Window

REFERENCE_COLOUR, CURRENT_COLOUR = "#0072B2", "#D55E00"  # blue and vermillion: apart for colour-blind readers too


def _number(value: float, digits: int = 6) -> float:
    """A float for JSON: ``digits`` significant digits, so 1e-80 stays 1e-80 and 0.0123456789 becomes 0.0123457."""
    return float(f"{value:.{digits}g}")


def _feature_entry(item: FeatureDrift) -> dict[str, Any]:
    entry = {"feature": item.feature, "kind": item.kind, "psi": _number(item.psi), "test": item.test,
             "statistic": _number(item.statistic), "p_value": _number(item.p_value), "drifted": item.drifted}
    if item.kind == CATEGORICAL:
        entry["new_categories"] = list(item.new_categories)
    return entry


# --8<-- [start:summary]
def summary(result: DriftResult, reference: Window, current: Window, thresholds: MonitoringConfig,
            generated_at: datetime | None = None) -> dict[str, Any]:
    """The machine-readable summary, ``drift.json``.

    ``model_version`` is the champion's when the reference is its training data, else the version of
    the current window's last prediction. ``prediction`` is ``null`` when the reference has no scores
    (a ``--reference`` file without ``churn_probability``). ``drift`` is true when any feature or the
    prediction drifted.
    """
    prediction = None
    if result.prediction is not None:
        prediction = {key: value for key, value in _feature_entry(result.prediction).items()
                      if key not in ("feature", "kind")}
        prediction |= {"reference_mean": _number(reference.frame[SCORE_COLUMN].mean()),
                       "current_mean": _number(current.frame[SCORE_COLUMN].mean())}
    return {
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "model_version": reference.model_version or current.model_version,
        "reference": {"source": reference.source, "rows": reference.rows},
        "current": {"source": current.source, "rows": current.rows, "from": current.start, "to": current.end,
                    "model_versions": current.model_versions},
        "thresholds": {"psi": thresholds.psi_threshold, "p_value": thresholds.p_value,
                       "prediction_psi": thresholds.prediction_psi_threshold, "bins": thresholds.bins},
        "features": [_feature_entry(item) for item in result.features],
        "prediction": prediction,
        "drifted_features": result.drifted_features,
        "drift": result.drift,
    }
# --8<-- [end:summary]


def to_json(document: dict[str, Any]) -> str:
    """``drift.json``'s text: indented, strict JSON (no NaN)."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _figure():
    from matplotlib.figure import Figure  # not pyplot: no backend, no global state, a PNG in memory

    return Figure(figsize=(7.5, 3.4), dpi=96, layout="constrained")


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --8<-- [start:plots]
def numeric_plot(name: str, reference: np.ndarray, current: np.ndarray, title: str) -> str:
    """Two histograms over the same bins, as shares of each window, as a base64 PNG."""
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=30)
    figure = _figure()
    axes = figure.add_subplot()
    for values, colour, label, style in ((reference, REFERENCE_COLOUR, "reference", "-"),
                                         (current, CURRENT_COLOUR, "current", "--")):
        weights = np.full(len(values), 1 / len(values))
        axes.hist(values, bins=edges, weights=weights, histtype="step", linewidth=2, linestyle=style, color=colour,
                  label=f"{label} ({len(values):,} rows)")
    axes.set(title=title, xlabel=name, ylabel="share of the window")
    axes.legend(frameon=False)
    return _png(figure)


def categorical_plot(name: str, reference: pd.Series, current: pd.Series, title: str) -> str:
    """Side-by-side bars of each category's share in the two windows, as a base64 PNG."""
    seen, now = reference.value_counts(normalize=True), current.value_counts(normalize=True)
    categories = list(seen.index) + [category for category in now.index if category not in seen.index]
    positions = np.arange(len(categories))
    figure = _figure()
    axes = figure.add_subplot()
    axes.barh(positions - 0.2, seen.reindex(categories, fill_value=0), height=0.4, color=REFERENCE_COLOUR,
              label=f"reference ({len(reference):,} rows)")
    axes.barh(positions + 0.2, now.reindex(categories, fill_value=0), height=0.4, color=CURRENT_COLOUR,
              hatch="//", edgecolor="white", label=f"current ({len(current):,} rows)")
    axes.set_yticks(positions, [f"{category} (new)" if category not in seen.index else category
                                for category in categories])
    axes.invert_yaxis()
    axes.set(title=title, xlabel="share of the window", ylabel=name)
    axes.legend(frameon=False)
    return _png(figure)
# --8<-- [end:plots]


def _plot(entry: dict[str, Any], reference: pd.DataFrame, current: pd.DataFrame) -> str:
    name = entry.get("feature", SCORE_COLUMN)
    title = f"{name}: PSI {entry['psi']:.3f}, {entry['test']} p-value {entry['p_value']:.2g}"
    if entry.get("kind") == CATEGORICAL:
        image = categorical_plot(name, reference[name].astype(str), current[name].astype(str), title)
        what, marks = "Bar chart of the share of each category", ("blue bars", "hatched orange bars")
    else:
        image = numeric_plot(name, reference[name].to_numpy(), current[name].to_numpy(), title)
        what, marks = "Histogram of the share of rows per value range", ("solid blue line", "dashed orange line")
    alt = (f"{what} of {name}: the reference ({len(reference):,} rows, {marks[0]}) against the current window "
           f"({len(current):,} rows, {marks[1]}); PSI {entry['psi']:.3f}, {entry['test']} p-value "
           f"{entry['p_value']:.2g}.")
    return (f'<figure><img src="data:image/png;base64,{image}" alt="{html.escape(alt)}" width="720">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.verdict { padding: .75rem 1rem; border-left: .4rem solid; }
.verdict.drift { border-color: #D55E00; background: #fdf0e9; }
.verdict.none { border-color: #009E73; background: #eaf6f1; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #ccc; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2), th:nth-child(4), td:nth-child(4) { text-align: left; }
thead th { border-bottom: 2px solid #1a1a1a; } tr.drifted > * { background: #fdf0e9; font-weight: 700; }
tbody th { font-weight: 400; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; }
figure { margin: 1.5rem 0; } figcaption { font-size: .9rem; color: #444; } img { max-width: 100%; height: auto; }
pre { background: #f4f4f4; padding: 1rem; overflow-x: auto; font-size: .85rem; }
"""


def _row(entry: dict[str, Any]) -> str:
    new = entry.get("new_categories") or []
    name = html.escape(entry["feature"]) + (f" (new: {html.escape(', '.join(new))})" if new else "")
    cells = [name, entry["kind"], f"{entry['psi']:.3f}", entry["test"], f"{entry['statistic']:.4g}",
             f"{entry['p_value']:.2g}", "yes" if entry["drifted"] else "no"]
    body = "".join(f'<th scope="row">{cell}</th>' if index == 0 else f"<td>{cell}</td>"
                   for index, cell in enumerate(cells))
    return f'<tr class="drifted">{body}</tr>' if entry["drifted"] else f"<tr>{body}</tr>"


# --8<-- [start:render_html]
def render_html(document: dict[str, Any], reference: pd.DataFrame, current: pd.DataFrame) -> str:
    """The page a person reads: verdict, scores, the table of every feature, a plot per drifted feature, the JSON."""
    limits = document["thresholds"]
    drifted = document["drifted_features"]
    prediction = document["prediction"]
    verdict = (f"{len(drifted)} of {len(document['features'])} features drifted"
               + (f": {', '.join(drifted)}" if drifted else ""))
    if prediction is not None:
        verdict += "; the model's scores drifted too" if prediction["drifted"] else "; the model's scores did not drift"
    rule = (f"A feature drifted when its PSI is at least {limits['psi']:g} and its test's p-value is below "
            f"{limits['p_value']:g} (the scores: PSI at least {limits['prediction_psi']:g}). Numbers: PSI over "
            f"{limits['bins']} quantile bins of the reference and the Kolmogorov-Smirnov test; categories: PSI "
            "over the categories and the chi-square test. A large window makes every p-value tiny, so PSI says "
            "whether the change is large enough to matter.")
    current_info = document["current"]
    facts = {"Model version": document["model_version"] or "unknown",
             "Reference": f"{document['reference']['source']} ({document['reference']['rows']:,} rows)",
             "Current": f"{current_info['rows']:,} predictions from {current_info['from']} to {current_info['to']}, "
                        f"{len(current_info['source'])} log file(s)",
             "Generated": document["generated_at"]}
    parts = [f"<h1>Drift report: model version {html.escape(str(document['model_version'] or 'unknown'))}</h1>",
             f'<p class="verdict {"drift" if document["drift"] else "none"}"><strong>'
             f'{"Drift" if document["drift"] else "No drift"}:</strong> {html.escape(verdict)}.</p>',
             "<dl>" + "".join(f"<dt>{html.escape(key)}</dt><dd>{html.escape(str(value))}</dd>"
                              for key, value in facts.items()) + "</dl>",
             f"<p>{html.escape(rule)} Drift is information for a person to look at, not an error.</p>",
             "<h2>The model's scores</h2>"]
    if prediction is None:
        parts.append("<p>No prediction drift: the reference has no scores (a reference file without a "
                     f"{SCORE_COLUMN} column).</p>")
    else:
        parts.append(f"<p>Mean {SCORE_COLUMN}: {prediction['reference_mean']:.3f} in the reference, "
                     f"{prediction['current_mean']:.3f} now; PSI {prediction['psi']:.3f}, KS p-value "
                     f"{prediction['p_value']:.2g}: {'drifted' if prediction['drifted'] else 'not drifted'}.</p>")
        parts.append(_plot(prediction | {"feature": SCORE_COLUMN, "kind": "numeric"}, reference, current))
    header = "".join(f'<th scope="col">{name}</th>' for name in
                     ("feature", "kind", "PSI", "test", "statistic", "p-value", "drifted"))
    rows = "".join(_row(entry) for entry in sorted(document["features"], key=lambda entry: -entry["psi"]))
    parts += ["<h2>Every feature</h2>",
              f"<table><caption>Data drift per feature, largest PSI first</caption><thead><tr>{header}</tr>"
              f"</thead><tbody>{rows}</tbody></table>",
              "<h2>The features that drifted</h2>"]
    by_name = {entry["feature"]: entry for entry in document["features"]}
    parts += [_plot(by_name[name], reference, current) for name in drifted] or ["<p>None.</p>"]
    parts += ["<h2>The summary for machines (drift.json)</h2>",
              f"<details><summary>Show the JSON</summary><pre>{html.escape(to_json(document))}</pre></details>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Drift report: model version {html.escape(str(document['model_version'] or 'unknown'))}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")
# --8<-- [end:render_html]
