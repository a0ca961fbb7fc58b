"""Feedback: the prediction log joined with the outcomes that arrive later, as realised performance per week.

The held-out metrics of training say how the model ranked last year's customers; only the outcomes
say how it ranks this month's. ``churn feedback`` reads every file of the prediction log (the rotated
ones too, as ``churn.service.prediction_log.log_files`` lists them) and an outcomes file
([`churn.monitoring.outcomes`][churn.monitoring.outcomes]), and writes ``monitoring/performance.json``.

**Which predictions an outcome labels.** ``Churn = Yes`` means the customer left within the month
after the snapshot (lecture 4.1), and labels arrive monthly. So an outcome labelled at date ``L``
labels the customer's predictions made in the month before it: from ``L`` minus one calendar month
(inclusive) to ``L`` (exclusive), both at midnight UTC. A prediction takes the first outcome of its
customer labelled after it, if that outcome's window reaches back to it; otherwise it stays unlabelled.
The label always comes after the prediction, so no outcome known before a score judges it; the price
of monthly labels is that a prediction made late in a month is judged on the rest of that month only:
a customer scored on the 25th who leaves on the 5th of the next month counts as staying (their
``Yes`` arrives with the next label, for the next month's predictions), so realised recall is a
little low for the last weeks of a month.

**Several predictions of one customer.** Weekly scoring puts every customer in every week's batch,
and the CRM screen may score them again in between. Per customer and ISO week the *last* prediction
counts (a re-score the same week replaces the earlier one, as it replaced it on the agent's screen);
each week's prediction in an outcome's window gets that outcome, so one monthly label judges the
four or five weekly scores before it.

**Per ISO week of prediction** (UTC, Monday to Sunday): ``scored`` customers, ``labelled`` ones, and on
the labelled ones ROC AUC, PR AUC, precision and recall at the configured threshold (the
calculations of training, [`churn.evaluate`][churn.evaluate]; ``null`` unless both outcomes occur) and
``cost``, the money the week's call list lost on them (missed churners and wasted offers at the
configured costs). A week with fewer than ``monitoring.min_labelled`` labelled predictions has no
``verdict`` (``null``); otherwise it is ``"ok"``, or ``"below"`` when its ROC AUC is below
``monitoring.min_realised_roc_auc``. A week is ``complete`` once its labels are in: it has ended and
the outcomes reach its end (the newest ``labelled_at`` is on or after the Monday that follows it, so
every prediction of the week has had its outcome's label date), or every customer it scored is
labelled already (the lab's case: outcomes labelled tomorrow for today's traffic). A week that has
merely ended is not enough: with monthly labels, the predictions made after the last label date
wait a month for theirs, and a verdict on the labelled part alone would judge half a week.
``latest`` is the last complete week with a verdict, and
``below_threshold`` says whether its verdict is ``"below"``: what the retraining trigger
([`churn.monitoring.trigger`][churn.monitoring.trigger]) acts on.

**Labels that label nothing** (a customer never scored, or scored only outside the window, or whose
score in the window was replaced by a later one the same week, after the window) are no
error: ``unmatched_labels`` counts them, and ``labels`` splits them into ``never_scored`` and
``outside_window``. The report's ``model_version`` is the version behind the newest prediction in
the log; each week lists the ``model_versions`` that scored it, since a promotion can fall mid-week.

The log is read line by line and holds one row per prediction in memory: 100,000 predictions (four
weekly batches of 25,000 generated customers, 61 MB of log) take about 1 s to read and 0.5 s to judge,
plus about 2 s to import scikit-learn the first time, on the course's loaded 2-core machine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churn.config import ExperimentConfig
from churn.ingest import DataError, write_whole
from churn.monitoring.outcomes import CHURNED, CUSTOMER, LABELLED_AT
from churn.monitoring.windows import logged_predictions, prediction_log_files

DEFAULT_LOG = "prediction_log.jsonl"  # the service's CHURN_PREDICTION_LOG default
DEFAULT_OUTPUT = "monitoring/performance.json"
LABEL_WINDOW = pd.DateOffset(months=1)


def default_log_path() -> Path:
    """The service's prediction log: ``CHURN_PREDICTION_LOG``, else ``prediction_log.jsonl``."""
    return Path(os.environ.get("CHURN_PREDICTION_LOG") or DEFAULT_LOG)


# --8<-- [start:read_predictions]
def read_predictions(log: str | Path) -> pd.DataFrame:
    """Read every file of the prediction log whose live file is ``log``, rotated ones first.

    The lines are read and checked by the drift window's own reader,
    [`churn.monitoring.windows.logged_predictions()`][churn.monitoring.windows.logged_predictions].

    Returns:
        One row per logged prediction, in the order written: ``time`` (UTC), ``customerID``,
        ``model_version`` and ``churn_probability``.

    Raises:
        churn.ingest.DataError: There is no log, it holds no prediction, or a line is not a prediction
            (the message names the file and the line).
    """
    files = prediction_log_files(log)
    rows = [(prediction.time, prediction.customer_id, prediction.model_version, prediction.probability)
            for prediction in logged_predictions(files)]
    if not rows:
        raise DataError(f"{log}: the prediction log holds no prediction ({len(files)} file(s), all empty); "
                        "score some customers first")
    frame = pd.DataFrame(rows, columns=["time", CUSTOMER, "model_version", "churn_probability"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.as_unit("us")
    return frame
# --8<-- [end:read_predictions]


# --8<-- [start:join]
@dataclass
class Joined:
    """The predictions that count, one per customer and week, with their outcomes; and the labels left over."""

    frame: pd.DataFrame
    outcomes: int
    never_scored: int
    outside_window: int

    @property
    def unmatched(self) -> int:
        """Outcomes that label no prediction."""
        return self.never_scored + self.outside_window


def join_outcomes(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> Joined:
    """Keep each customer's last prediction per ISO week and give it the outcome whose window covers it.

    Args:
        predictions: As [`read_predictions()`][churn.monitoring.feedback.read_predictions] returns them.
        outcomes: As [`load_outcomes()`][churn.monitoring.outcomes.load_outcomes] returns them.

    Returns:
        ``frame`` has one row per customer and week: ``week`` (e.g. ``2026-W18``), ``start`` (its
        Monday), the prediction's columns, and ``churned`` (1, 0, or NaN when unlabelled) with the
        ``labelled_at`` of its outcome.
    """
    calendar = predictions["time"].dt.isocalendar()
    weekly = predictions.assign(
        week=calendar["year"].astype(str) + "-W" + calendar["week"].astype(str).str.zfill(2),
        start=predictions["time"].dt.floor("D") - pd.to_timedelta(calendar["day"].astype("int64") - 1, unit="D"))
    weekly = (weekly.sort_values("time", kind="stable").drop_duplicates([CUSTOMER, "week"], keep="last")
              .reset_index(drop=True))
    joined = pd.merge_asof(weekly, outcomes.sort_values(LABELLED_AT), left_on="time", right_on=LABELLED_AT,
                           by=CUSTOMER, direction="forward", allow_exact_matches=False)
    outside = joined[LABELLED_AT].notna() & (joined["time"] < joined[LABELLED_AT] - LABEL_WINDOW)
    joined.loc[outside, CHURNED] = np.nan
    joined.loc[outside, LABELLED_AT] = pd.NaT
    used = joined.loc[joined[CHURNED].notna(), [CUSTOMER, LABELLED_AT]].drop_duplicates()
    unused = outcomes.merge(used, how="left", on=[CUSTOMER, LABELLED_AT], indicator=True)["_merge"] == "left_only"
    never_scored = int((unused & ~outcomes[CUSTOMER].isin(predictions[CUSTOMER].unique())).sum())
    return Joined(joined, len(outcomes), never_scored, int(unused.sum()) - never_scored)
# --8<-- [end:join]


# --8<-- [start:weekly]
def weekly_performance(joined: pd.DataFrame, config: ExperimentConfig, now: datetime,
                       labels_until: pd.Timestamp | None = None) -> list[dict[str, Any]]:
    """Realised performance per ISO week of prediction, oldest week first (the rules of the module docstring).

    Args:
        joined: The ``frame`` of [`join_outcomes()`][churn.monitoring.feedback.join_outcomes].
        config: The threshold, the costs and the ``monitoring`` section.
        now: Weeks ending after it are not complete unless fully labelled.
        labels_until: The newest ``labelled_at`` of the outcomes; a week ending after it is not complete
            unless fully labelled (``None``: no outcomes, only fully labelled weeks are complete).
    """
    from churn.evaluate import business_cost, evaluate  # scikit-learn's metrics, as in training

    monitoring = config.monitoring
    weeks = []
    for (week, start), rows in joined.groupby(["week", "start"], sort=True):
        labelled = rows[rows[CHURNED].notna()]
        y_true = labelled[CHURNED].to_numpy(dtype=int)
        probability = labelled["churn_probability"].to_numpy()
        metrics: dict[str, float | None] = dict.fromkeys(("roc_auc", "pr_auc", "precision", "recall"))
        if len(np.unique(y_true)) == 2:
            scores = evaluate(y_true, probability, config.threshold, config.costs)
            metrics = {name: round(scores[name], 6) for name in metrics}
        cost = None
        if len(labelled):
            per_thousand = business_cost(y_true, probability >= config.threshold, config.costs)["cost_per_1000"]
            cost = round(per_thousand * len(labelled) / 1000, 2)
        verdict = None
        if len(labelled) >= monitoring.min_labelled and metrics["roc_auc"] is not None:
            verdict = "ok" if metrics["roc_auc"] >= monitoring.min_realised_roc_auc else "below"
        weeks.append({"week": week, "start": start.date().isoformat(), "scored": len(rows),
                      "labelled": len(labelled), **metrics, "cost": cost, "verdict": verdict,
                      "complete": _complete(start + pd.Timedelta(days=7), now, labels_until,
                                            fully_labelled=len(labelled) == len(rows)),
                      "model_versions": sorted(rows["model_version"].unique().tolist())})
    return weeks
# --8<-- [end:weekly]


def _complete(end: pd.Timestamp, now: datetime, labels_until: pd.Timestamp | None, *, fully_labelled: bool) -> bool:
    """Whether a week's labels are in: every customer labelled, or the week over and the outcomes past its end."""
    return fully_labelled or (end <= now and labels_until is not None and end <= labels_until)


def performance_report(predictions: pd.DataFrame, outcomes: pd.DataFrame, config: ExperimentConfig, *,
                       now: datetime | None = None, sources: dict[str, Any] | None = None) -> dict[str, Any]:
    """The content of ``performance.json``: every week, the latest verdict, and the labels that labelled nothing.

    Args:
        predictions: The prediction log, as [`read_predictions()`][churn.monitoring.feedback.read_predictions] reads it.
        outcomes: As [`load_outcomes()`][churn.monitoring.outcomes.load_outcomes] reads them.
        config: The threshold, the costs and the ``monitoring`` section.
        now: The report's time (default: now); weeks ending after it, or after the newest label date,
            are not complete unless fully labelled.
        sources: The files read, recorded in the report.
    """
    now = now or datetime.now(UTC)
    joined = join_outcomes(predictions, outcomes)
    labels_until = outcomes[LABELLED_AT].max() if len(outcomes) else None
    weeks = weekly_performance(joined.frame, config, now, labels_until)
    judged = [week for week in weeks if week["verdict"] is not None and week["complete"]]
    latest = judged[-1] if judged else None
    return {"generated_at": now.isoformat(timespec="seconds"),
            "model_version": str(predictions.sort_values("time", kind="stable")["model_version"].iat[-1]),
            "threshold": config.threshold,
            "min_realised_roc_auc": config.monitoring.min_realised_roc_auc,
            "min_labelled": config.monitoring.min_labelled,
            "sources": sources or {},
            "weeks": weeks, "latest": latest,
            "unmatched_labels": joined.unmatched,
            "labels": {"outcomes": joined.outcomes, "matched": joined.outcomes - joined.unmatched,
                       "never_scored": joined.never_scored, "outside_window": joined.outside_window},
            "below_threshold": latest is not None and latest["verdict"] == "below"}


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    """Write ``report`` as JSON to ``path``, whole or not at all (strict JSON: no NaN)."""
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    write_whole(Path(path), lambda partial: partial.write_text(text, encoding="utf-8"))
    return Path(path)


def summary_lines(report: dict[str, Any]) -> Sequence[str]:
    """A few lines for a terminal: one per week, the latest verdict, the labels that labelled nothing."""

    def number(value: float | None, form: str = ".4f") -> str:
        return "-" if value is None else format(value, form)

    lines = [f"{week['week']} (from {week['start']}): {week['scored']} scored, {week['labelled']} labelled, "
             f"ROC AUC {number(week['roc_auc'])}, PR AUC {number(week['pr_auc'])}, "
             f"precision {number(week['precision'], '.3f')}, recall {number(week['recall'], '.3f')}, "
             f"cost {number(week['cost'], ',.0f')}: "
             f"{week['verdict'] or 'no verdict'}{'' if week['complete'] else ' (labels not all in yet)'}"
             for week in report["weeks"]]
    latest, floor = report["latest"], report["min_realised_roc_auc"]
    if latest is None:
        lines.append(f"no verdict: no complete week has {report['min_labelled']} labelled predictions yet")
    else:
        relation = "below" if report["below_threshold"] else "at or above"
        lines.append(f"latest: {latest['week']}, realised ROC AUC {latest['roc_auc']:.4f} is {relation} {floor}")
    labels = report["labels"]
    lines.append(f"{labels['matched']} of {labels['outcomes']} labels matched predictions; "
                 f"{report['unmatched_labels']} did not ({labels['never_scored']} for customers never scored, "
                 f"{labels['outside_window']} with no counted prediction in their month)")
    return lines
