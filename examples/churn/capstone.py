"""The capstone: the whole project end to end in one command, ``churn capstone``.

From a clean folder it generates data, runs the Dagster training job (which registers the
challenger), records an approval and promotes, starts the API with a real uvicorn process on
127.0.0.1, sends normal traffic and then a drifted batch, builds the drift report, fires the
retraining trigger (a person's confirmation, then the sensor), retrains and gates, writes the model
card, verifies the audit log, scores a batch file, and stops the API. Every stage calls the same
functions as the ``churn`` subcommand that does it alone (most through [`churn.cli.main`][]), so the
capstone adds order, not logic.

A stage that fails stops the run with [`StageFailed`][churn.capstone.StageFailed], which names it;
the uvicorn process (and its batch worker) is always stopped, in a ``finally``. What the stages
print goes to ``capstone.log`` in the work folder; the summary lists every artifact.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
API_KEY = "capstone-key"
APPROVER = "capstone"
TRAINING_ROWS = 3000  # small: the whole run stays well under 3 minutes on two cores
DRIFTED_ROWS = 3000
BATCH_ROWS = 2000
NORMAL_TRAFFIC, DRIFTED_TRAFFIC, REQUEST_BATCH = 300, 600, 100
READY_SECONDS = 90.0


class StageFailed(Exception):
    """A stage of the capstone failed; ``stage`` names it, the message says why in one line."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"stage '{stage}' failed: {reason}")
        self.stage = stage


@dataclass
class Run:
    """The state the stages share: the folder, the port, the artifacts written so far, the API process."""

    workdir: Path
    port: int
    artifacts: dict[str, Path] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen | None = None
    log: io.TextIOBase | None = None
    retrain_request: object = None

    def path(self, relative: str) -> Path:
        """An absolute path inside the work folder (its folder made)."""
        target = self.workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @property
    def tracking_uri(self) -> str:
        """The run's own MLflow store: a SQLite file in the work folder."""
        return f"sqlite:///{self.workdir / 'mlflow.db'}"

    @property
    def audit_log(self) -> Path:
        """The run's audit log."""
        return self.path("governance/audit.jsonl")


def churn(run: Run, *argv: str) -> str:
    """Run one ``churn`` subcommand in this process; return what it printed; raise if it exits non-zero."""
    from churn.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    if run.log:
        run.log.write(f"$ churn {' '.join(argv)}\n{out.getvalue()}{err.getvalue()}")
    if code != 0:
        lines = (err.getvalue() or out.getvalue()).strip().splitlines()
        raise RuntimeError(f"churn {argv[0]} exited {code}: {lines[-1] if lines else 'no message'}")
    return out.getvalue()


# --- the stages, in order ------------------------------------------------------------------------------
def generate_data(run: Run) -> None:
    """Training data, a drifted table (the 'recent' customers), and a batch file to score."""
    tables = {"training data": ("data/customers.parquet", TRAINING_ROWS, "42", []),
              "drifted data": ("data/drifted.parquet", DRIFTED_ROWS, "7",
                               ["--month-to-month-share", "0.9", "--charges-factor", "1.6"]),
              "batch to score": ("data/batch.parquet", BATCH_ROWS, "11", [])}
    for name, (relative, rows, seed, drift) in tables.items():
        path = run.path(relative)
        churn(run, "generate", "--rows", str(rows), "--seed", seed, "--output", str(path), *drift)
        run.artifacts[name] = path


def _settings(run: Run, data: Path):
    from churn.pipeline.resources import ChurnSettings

    return ChurnSettings(data_path=str(data), tracking_uri=run.tracking_uri,
                         retrain_signal=str(run.path("monitoring/retrain_signal.json")))


def _training_job(settings):
    """The Dagster training job of [`churn.pipeline.definitions`][], bound to these settings."""
    import dagster as dg

    from churn.pipeline.assets import PIPELINE_ASSETS
    from churn.pipeline.jobs import training_job

    definitions = dg.Definitions(assets=PIPELINE_ASSETS, jobs=[training_job], resources={"settings": settings},
                                 executor=dg.in_process_executor)
    return definitions.resolve_job_def(training_job.name)


def _execute(run: Run, settings, tags: dict[str, str] | None = None):
    with contextlib.redirect_stdout(run.log or sys.stdout), contextlib.redirect_stderr(run.log or sys.stderr):
        result = _training_job(settings).execute_in_process(tags=tags or {}, raise_on_error=False)
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        raise RuntimeError(f"the Dagster training job failed at {', '.join(failed) or 'an unknown step'}")
    return result.output_for_node("promotion_decision")


def run_dagster_pipeline(run: Run) -> None:
    """Run the Dagster training job: ingest, validate, train, evaluate, register the challenger, gate."""
    decision = _execute(run, _settings(run, run.artifacts["training data"]))
    run.facts["first challenger"] = f"v{decision.challenger_version}, gate {'passed' if decision.passed else 'refused'}"
    run.artifacts["MLflow store"] = run.workdir / "mlflow.db"


def approve_and_promote(run: Run) -> None:
    """Record an approval in the audit log and promote the challenger (``churn promote``)."""
    printed = churn(run, "promote", "--tracking-uri", run.tracking_uri, "--data", str(run.artifacts["training data"]),
                    "--approved-by", APPROVER, "--reason", "capstone: first model, meets the minimums",
                    "--audit-log", str(run.audit_log))
    run.facts["promotion"] = printed.strip().splitlines()[0]
    run.artifacts["audit log"] = run.audit_log


def start_api(run: Run) -> None:
    """Start ``churn serve`` (uvicorn) as a child process on 127.0.0.1; wait until /ready says the model is loaded."""
    log = run.path("service/prediction_log.jsonl")
    env = {**os.environ, "CHURN_API_KEY": API_KEY, "CHURN_PREDICTION_LOG": str(log),
           "CHURN_TRACKING_URI": run.tracking_uri, "CHURN_LOG_LEVEL": "WARNING"}
    output = run.path("service/uvicorn.log").open("w", encoding="utf-8")
    run.server = subprocess.Popen([sys.executable, "-m", "churn.cli", "serve", "--host", HOST, "--port", str(run.port),
                                   "--tracking-uri", run.tracking_uri], cwd=run.workdir, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # its own group: stopped whole
    run.artifacts["prediction log"], run.artifacts["service log"] = log, Path(output.name)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if run.server.poll() is not None:
            raise RuntimeError(f"the API exited with code {run.server.returncode}; see {output.name}")
        with contextlib.suppress(OSError):
            ready = json.loads(_request(run, "GET", "/ready"))
            if ready.get("ready"):
                run.facts["served"] = f"model v{ready.get('model_version')} on http://{HOST}:{run.port}"
                return
        time.sleep(0.3)
    raise RuntimeError(f"the API was not ready in {READY_SECONDS:g} s; see {output.name}")


def _request(run: Run, method: str, route: str, body: object = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{HOST}:{run.port}{route}", data=data, method=method,
                                     headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


def _send(run: Run, table: Path, rows: int) -> int:
    """POST the first ``rows`` customers of ``table`` to /predict/batch, in batches; return how many were scored."""
    from churn.ingest import load_table
    from churn.validate import validate

    clean, _ = validate(load_table(table).head(rows))  # typed as the API takes them (TotalCharges a number)
    frame = clean.drop(columns=["Churn"], errors="ignore")
    records = json.loads(frame.to_json(orient="records"))
    scored = 0
    for start in range(0, len(records), REQUEST_BATCH):
        scored += len(json.loads(_request(run, "POST", "/predict/batch",
                                       {"customers": records[start:start + REQUEST_BATCH]})))
    return scored


def send_normal_traffic(run: Run) -> None:
    """Score customers like the training data through the API, in batches."""
    customers = _send(run, run.artifacts["batch to score"], NORMAL_TRAFFIC)
    run.facts["normal traffic"] = f"{customers} customers scored"


def send_drifted_batch(run: Run) -> None:
    """Score the drifted customers through the API."""
    run.facts["drifted traffic"] = f"{_send(run, run.artifacts['drifted data'], DRIFTED_TRAFFIC)} customers scored"


def stop_api(run: Run) -> None:
    """Stop the API cleanly (SIGTERM: uvicorn drains and flushes the prediction log); kill it if it hangs."""
    server, run.server = run.server, None
    if server is None or server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # the batch worker, if it outlived its parent
        os.killpg(server.pid, signal.SIGKILL)
    run.facts["API process"] = f"pid {server.pid}, exited with code {server.returncode}"


def build_drift_report(run: Run) -> None:
    """``churn drift``: the prediction log against the champion's training data."""
    folder = run.path("monitoring/drift.json").parent
    printed = churn(run, "drift", "--tracking-uri", run.tracking_uri, "--log", str(run.artifacts["prediction log"]),
                    "--output-dir", str(folder))
    run.facts["drift"] = printed.strip().splitlines()[0]
    run.artifacts["drift report (HTML)"] = folder / "drift.html"
    run.artifacts["drift report (JSON)"] = folder / "drift.json"


def fire_retraining_trigger(run: Run) -> None:
    """``churn retrain-check`` writes the signal, a person confirms it, and the Dagster sensor requests a run."""
    import dagster as dg

    from churn.pipeline.sensors import retrain_signal_sensor

    signal_path = run.path("monitoring/retrain_signal.json")
    churn(run, "retrain-check", "--drift", str(run.artifacts["drift report (JSON)"]), "--signal", str(signal_path))
    if not signal_path.is_file():
        raise RuntimeError("retrain-check wrote no signal: the drifted batch did not drift")
    if json.loads(signal_path.read_text(encoding="utf-8")).get("needs_confirmation"):
        churn(run, "retrain-confirm", "--by", APPROVER, "--reason", "capstone: the drifted batch drifted",
              "--signal", str(signal_path), "--audit-log", str(run.audit_log))
    settings = _settings(run, run.artifacts["drifted data"])
    request = retrain_signal_sensor(dg.build_sensor_context(resources={"settings": settings}))
    if not isinstance(request, dg.RunRequest):
        raise RuntimeError(f"the retraining sensor requested no run: {request}")
    run.retrain_request = request
    run.artifacts["retraining signal"] = signal_path


def retrain_and_gate(run: Run) -> None:
    """Run the training job the sensor requested, on the recent (drifted) data; the gate decides, nobody promotes."""
    decision = _execute(run, _settings(run, run.artifacts["drifted data"]), run.retrain_request.tags)
    verdict = "passed (a person would promote it)" if decision.passed else "refused: " + "; ".join(decision.reasons)
    run.facts["retrained challenger"] = f"v{decision.challenger_version}, gate {verdict}"


def write_model_card(run: Run) -> None:
    """``churn model-card`` of the champion (Markdown and HTML)."""
    folder = run.path("governance/model_card").parent
    churn(run, "model-card", "--tracking-uri", run.tracking_uri, "--output-dir", str(folder))
    for suffix in ("md", "html"):
        card = sorted(folder.glob(f"model_card_v*.{suffix}"))
        if not card:
            raise RuntimeError(f"no model_card_v*.{suffix} in {folder}")
        run.artifacts[f"model card ({suffix})"] = card[-1]


def verify_audit_log(run: Run) -> None:
    """``churn audit verify --check-registry``: the hash chain is intact and every approval is in it."""
    printed = churn(run, "audit", "verify", "--audit-log", str(run.audit_log), "--check-registry",
                    "--tracking-uri", run.tracking_uri)
    run.facts["audit log"] = printed.strip().splitlines()[0].split(": ", 1)[-1]


def score_batch_file(run: Run) -> None:
    """``churn score``: the batch file with the champion, in chunks."""
    output = run.path("scores/scores.parquet")
    printed = churn(run, "score", str(run.artifacts["batch to score"]), "--output", str(output),
                    "--tracking-uri", run.tracking_uri)
    run.facts["batch scoring"] = printed.strip().splitlines()[0]
    run.artifacts["scores"] = output


def stages() -> list[tuple[str, Callable[[Run], None]]]:
    """The stages in order, each with the name a failure reports (read at call time, so a test can replace one)."""
    return [("generate data", generate_data), ("run the Dagster pipeline", run_dagster_pipeline),
            ("approve and promote", approve_and_promote), ("start the API", start_api),
            ("send normal traffic", send_normal_traffic), ("send a drifted batch", send_drifted_batch),
            ("stop the API", stop_api), ("build the drift report", build_drift_report),
            ("fire the retraining trigger", fire_retraining_trigger), ("retrain and gate", retrain_and_gate),
            ("write the model card", write_model_card), ("verify the audit log", verify_audit_log),
            ("score a batch file", score_batch_file)]


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """Work in ``folder``: the subcommands' relative defaults (monitoring/, governance/) land there."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_capstone(workdir: str | Path, port: int, progress: Callable[[str], None] = print) -> Run:
    """Run every stage in order; raise [`StageFailed`][churn.capstone.StageFailed] at the first that fails.

    The API process is stopped whatever happens. ``progress`` gets one line per stage with its time.
    """
    run = Run(Path(workdir).resolve(), port)
    run.workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with run.path("capstone.log").open("w", encoding="utf-8") as log, _inside(run.workdir):
        run.log = log
        run.artifacts["capstone log"] = Path(log.name)
        try:
            for name, stage in stages():
                began = time.monotonic()
                try:
                    stage(run)
                except Exception as error:  # any failure stops the run and names its stage
                    raise StageFailed(name, str(error).strip().splitlines()[0] if str(error).strip()
                                      else type(error).__name__) from error
                progress(f"  {name:<30} {time.monotonic() - began:6.1f} s")
        finally:
            stop_api(run)
    run.facts["total time"] = f"{time.monotonic() - started:.1f} s"
    return run


def summary(run: Run) -> str:
    """What the run found and the path of every artifact, for a terminal."""
    lines = [f"capstone complete in {run.workdir}"]
    lines += [f"  {name + ':':<22} {fact}" for name, fact in run.facts.items()]
    lines.append("artifacts:")
    lines += [f"  {name + ':':<22} {path}" for name, path in run.artifacts.items()]
    return "\n".join(lines)
