"""Lecture 2.8: reproduce "Address already in use", find who holds the port, pick a free one.

Run it from the repository root::

    python examples/lectures/s02/port_clash.py

It starts a listener on a free port of 127.0.0.1, tries to start a second one on the same port
(the mistake behind uvicorn's and mkdocs' ``[Errno 98]``), asks the operating system which
process holds the port, and finds the next free one. Everything is closed at the end.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys

HOST = "127.0.0.1"
# The same error has a different number on each system; the text is what to search for.
EADDRINUSE_BY_SYSTEM = {"Linux and WSL": 98, "macOS": 48, "Windows (WSAEADDRINUSE)": 10048}


def listen(port: int = 0) -> socket.socket:
    """A socket listening on ``HOST:port`` (0: let the system pick a free port)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((HOST, port))
    server.listen()
    return server


# --8<-- [start:second_server]
def second_server_error(port: int) -> OSError | None:
    """Try to start a second server on ``port``; return the error the system gives, or None if it worked."""
    try:
        listen(port).close()
    except OSError as error:
        return error
    return None
# --8<-- [end:second_server]


# --8<-- [start:who_holds]
def owner_command(port: int) -> list[str] | None:
    """The command that names the process listening on ``port`` on this system, or None if there is none."""
    if shutil.which("ss"):
        return ["ss", "-ltnp", f"sport = :{port}"]  # Linux, WSL
    if shutil.which("lsof"):
        return ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]  # macOS, Linux
    if sys.platform == "win32":
        return ["netstat", "-ano", "-p", "TCP"]  # then look for :port in the output; the last column is the PID
    return None
# --8<-- [end:who_holds]


# --8<-- [start:free_port]
def free_port(start: int, attempts: int = 50) -> int:
    """The first port from ``start`` on that a server can bind."""
    for port in range(start, start + attempts):
        if second_server_error(port) is None:
            return port
    raise RuntimeError(f"no free port in {start}..{start + attempts - 1}")
# --8<-- [end:free_port]


def main() -> None:
    """Run the clash, name the owner, find a free port."""
    first = listen()
    port = first.getsockname()[1]
    try:
        print(f"A first server listens on {HOST}:{port} (this process, PID {os.getpid()}).")
        error = second_server_error(port)
        assert error is not None and error.errno == errno.EADDRINUSE
        print(f"A second server on the same port fails with: [Errno {error.errno}] {error.strerror}")
        print("The same error is numbered " + ", ".join(f"{n} on {s}" for s, n in EADDRINUSE_BY_SYSTEM.items()))
        command = owner_command(port)
        if command is None:
            print("\nNo tool to name the owner here (install iproute2 for ss, or lsof).")
        else:
            print(f"\nWho holds the port? $ {' '.join(command)}")
            output = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30).stdout
            lines = [line for line in output.splitlines() if line.startswith(("State", "COMMAND", "Proto"))
                     or f":{port}" in line]
            print("\n".join(lines) or "(no output: the tool may need more permissions to see other users' processes)")
        print(f"\nThe next free port from {port} is {free_port(port)}: start the second server there instead.")
    finally:
        first.close()


if __name__ == "__main__":
    main()
