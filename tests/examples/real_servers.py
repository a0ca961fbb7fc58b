"""Real servers for integration tests: a throwaway PostgreSQL cluster and an ``mlflow server`` process.

PostgreSQL refuses to run as root. Run as root (a container, CI), the cluster's files belong to an
unprivileged account, Debian's ``postgres`` (made by the ``postgresql`` package) or else ``nobody``,
and ``initdb``/``postgres`` are started as that account (``subprocess``'s ``user=``, no ``sudo``).
Run as anybody else, they run as that user. Every function here raises
[`Unavailable`][tests.examples.real_servers.Unavailable] with the reason when it cannot work on this
machine, so the test can skip with it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Fast and unsafe: nothing here must survive a crash of the machine.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")


class Unavailable(RuntimeError):
    """A real server cannot run on this machine; the message says why and how to fix it."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_binaries() -> Path:
    """The folder of ``initdb`` and ``postgres``: from ``PATH``, else Debian's newest ``/usr/lib/postgresql/N/bin``."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0))
    if debian:
        return debian[-1].parent
    raise Unavailable("PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql); "
                      "on Debian: apt-get install postgresql (.ci/run does)")


def server_account() -> str | None:
    """The account to run PostgreSQL as: None for the current user, an unprivileged one when that is root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_ACCOUNTS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise Unavailable(f"running as root and none of the accounts {', '.join(UNPRIVILEGED_ACCOUNTS)} exists; "
                      "PostgreSQL refuses to run as root")


@dataclass(frozen=True)
class Postgres:
    """A running cluster: connect with [`uri`][tests.examples.real_servers.Postgres.uri]."""

    port: int
    database: str

    def uri(self) -> str:
        """The SQLAlchemy URI of the database (trust authentication on 127.0.0.1).

        ``+psycopg2`` names the driver: SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3.
        """
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{self.database}"


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, log: Path, seconds: float) -> None:
    """Poll ``ready`` until it is true; raise with the end of the server's log if it exits or times out."""
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            state = (f"exited with code {process.returncode}" if process.returncode is not None
                     else f"was not ready in {seconds:g} s")
            raise RuntimeError(f"{process.args[0]} {state}; the end of {log}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def running_postgres(database: str = "mlflow") -> Iterator[Postgres]:
    """Start a fresh cluster in a temporary folder, create ``database``, and stop and delete it on exit.

    The folder is made with ``tempfile`` under ``/tmp``, not under pytest's ``tmp_path``, whose parents
    only root may enter.
    """
    import psycopg2

    binaries, account = postgres_binaries(), server_account()
    as_account = {"user": account, "group": pwd.getpwnam(account).pw_gid, "extra_groups": []} if account else {}
    folder = Path(tempfile.mkdtemp(prefix="churn-postgres-"))
    try:
        if account:
            shutil.chown(folder, account, pwd.getpwnam(account).pw_gid)
        data = folder / "data"
        initdb = subprocess.run([binaries / "initdb", "--pgdata", data, "--username", "postgres", "--auth", "trust",
                                 "--encoding", "UTF8", "--no-sync"], cwd=folder, capture_output=True, text=True,
                                timeout=120, **as_account)
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed with code {initdb.returncode}: {initdb.stdout}{initdb.stderr}")
        port = free_port()
        settings = [argument for setting in FAST_SETTINGS for argument in ("-c", setting)]
        log = folder / "postgres.log"
        with log.open("w") as output:  # a file, not a pipe nobody reads: a full pipe would block the server
            server = subprocess.Popen([binaries / "postgres", "-D", data, "-h", "127.0.0.1", "-p", str(port),
                                       "-k", folder, *settings], cwd=folder, stdout=output,
                                      stderr=subprocess.STDOUT, **as_account)
        try:
            def accepts_connections() -> bool:
                try:
                    psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres").close()
                except psycopg2.OperationalError:
                    return False
                return True

            wait_until(accepts_connections, server, log, 30)
            connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
            connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            try:  # not `with connection`: in psycopg2 that opens a transaction even in autocommit mode
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE DATABASE "{database}"')
            finally:
                connection.close()
            yield Postgres(port, database)
        finally:
            _stop(server, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running_mlflow_server(backend_store_uri: str, artifacts: Path, cwd: Path) -> Iterator[str]:
    """Run ``mlflow server`` on a free port of 127.0.0.1 with proxied artifacts; yield its URL."""
    import httpx2

    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    environment["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # as the pages run it: no GenAI job workers
    log = cwd / "mlflow-server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri,
             "--serve-artifacts", "--artifacts-destination", str(artifacts), "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1"],
            cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: stopping it stops its workers too
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx2.get(f"{url}/health", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_until(healthy, server, log, 90)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        _stop(server)
