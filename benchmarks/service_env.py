"""The service's own environment: build it as the Docker image does, measure it, and prove it serves.

Run from the repository root with the project's environment (it trains a small model for the bundle
unless ``--bundle`` names one)::

    .venv/bin/python benchmarks/service_env.py [--requirements examples/requirements/service.txt]
        [--requirements FILE ...] [--bundle FOLDER] [--keep] [--freeze]

Steps, in a fresh temporary folder:

1. ``python -m venv --without-pip`` and ``pip --python VENV install --no-deps -r service.txt``, then
   ``pip install --no-deps`` of a copy of ``examples/``: the same commands as the Dockerfile's
   builder stage, so the size printed is the size of the image's ``/opt/venv``;
2. ``du`` of its site-packages, with the largest packages (target: at most 300 MB);
3. a model bundle (``--bundle``, or a model trained here on 2,000 generated rows and written with
   ``churn.model_bundle.write_bundle``);
4. ``python -m uvicorn churn.service.app:create_app --factory`` from the fresh venv on 127.0.0.1 with
   ``CHURN_MODEL_DIR``; ``/health``, ``/ready`` and ``POST /predict`` must answer, and the probability
   must equal the bundle's own ONNX score in this process within 1e-6.

``--freeze`` also prints the fresh venv's ``pip freeze`` (to refresh the lock's transitive pins).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300
API_KEY = "benchmark-key"
CUSTOMER = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No",
    "tenure": 24, "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No", "TechSupport": "No",
    "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85, "TotalCharges": 716.4,
}


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, echo it, and stop with its output if it fails."""
    print("$", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def build_venv(folder: Path, requirements: list[Path]) -> Path:
    """Create the service venv in ``folder`` as the Dockerfile's builder stage does; return its python."""
    venv = folder / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--only-binary=:all:"]
    run(*pip, *(part for path in requirements for part in ("-r", path)))
    run(sys.executable, "-m", "pip", "--python", python, "check")
    source = folder / "examples"
    shutil.copytree(ROOT / "examples", source, ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info", "build", "model", "mlruns", "mlflow.db", ".env"))
    run(*pip[:-1], "--no-compile", source)
    return python


def site_packages_mb(python: Path) -> tuple[float, list[tuple[float, str]]]:
    """Return the size of the venv's site-packages in MB and its ten largest entries."""
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())

    def size(path: Path) -> int:
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) if path.is_dir() \
            else path.stat().st_size

    entries = sorted(((size(item) / 1e6, item.name) for item in site.iterdir()), reverse=True)
    return sum(mb for mb, _ in entries), entries[:10]


def make_bundle(folder: Path) -> Path:
    """Train the default model on 2,000 generated rows and write it as a bundle (needs the training stack)."""
    from churn.config import load_config
    from churn.model_bundle import write_bundle
    from churn.train import load_training_data, train

    config = load_config(None, data={"generated_rows": 2000})
    result = train(config, load_training_data(config))
    bundle = folder / "model"
    write_bundle(bundle, result.onnx, model_name="churn", model_version="benchmark", threshold=config.threshold)
    return bundle


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    """GET (or POST ``body`` as JSON) with the API key; return the status and the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(url, data=data, headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def serve_and_predict(python: Path, bundle: Path, workdir: Path) -> dict:
    """Start uvicorn from the fresh venv with the bundle; return the answer of POST /predict."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "CHURN_API_KEY": API_KEY, "CHURN_MODEL_DIR": str(bundle),
           "CHURN_PREDICTION_LOG": str(workdir / "prediction_log.jsonl")}
    command = [str(python), "-m", "uvicorn", "churn.service.app:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port)]
    print("$", " ".join(command), flush=True)
    server = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < 60:
            if server.poll() is not None:
                sys.exit(f"uvicorn exited with {server.returncode}:\n{server.stderr.read()}")
            try:
                if request(f"{base}/ready")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        else:
            sys.exit("the service was not ready within 60 s")
        print(f"ready after {time.perf_counter() - started:.1f} s")
        health = request(f"{base}/health")
        status, answer = request(f"{base}/predict", CUSTOMER)
        print(f"GET /health -> {health[0]} {health[1]}")
        print(f"POST /predict -> {status} {answer}")
        if health[0] != 200 or status != 200:
            sys.exit("the service did not answer as expected")
        return answer
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    """Build, measure and try the service environment; exit non-zero if any step fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, nargs="+", default=[ROOT / "examples/requirements/service.txt"],
                        help="the locked requirements to install (default: the image's; add "
                        "examples/requirements/registry.txt to measure the registry target)")
    parser.add_argument("--bundle", type=Path, help="a model bundle folder (default: train a small model here)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument("--freeze", action="store_true", help="also print pip freeze of the fresh venv")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="churn-service-env-"))
    try:
        python = build_venv(folder, [path.resolve() for path in args.requirements])
        total, largest = site_packages_mb(python)
        site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
        on_disk = run("du", "-sh", site).stdout.split()[0] if shutil.which("du") else "?"
        print(f"\nservice environment: {total:.0f} MB of files in site-packages (10^6 bytes; du -sh: {on_disk}); "
              f"target <= {TARGET_MB} MB")
        for mb, name in largest:
            print(f"  {mb:6.1f} MB  {name}")
        if args.freeze:
            print(run(sys.executable, "-m", "pip", "--python", python, "freeze", "--exclude", "churn-mlops").stdout)
        bundle = args.bundle.resolve() if args.bundle else make_bundle(folder)
        answer = serve_and_predict(python, bundle, folder)

        from churn.model_bundle import load_bundle

        expected = load_bundle(bundle).predict_records([CUSTOMER])[0].probability
        difference = abs(answer["churn_probability"] - expected)
        print(f"probability {answer['churn_probability']:.6f}, in-process ONNX {expected:.6f}, "
              f"difference {difference:.1e}")
        if difference > 1e-6:
            sys.exit("the fresh environment scores differently from this one")
        return 0 if total <= TARGET_MB else 1
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "examples")]
    sys.exit(main())
