"""Section 2 (lecture 2.8): the port clash, who holds a port, and the next free port."""

from __future__ import annotations

import errno
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "lectures" / "s02" / "port_clash.py"
spec = importlib.util.spec_from_file_location("s02_port_clash", SCRIPT)
ports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ports)


def test_a_second_server_on_a_taken_port_gets_eaddrinuse():
    first = ports.listen()
    port = first.getsockname()[1]
    try:
        error = ports.second_server_error(port)
        assert error is not None and error.errno == errno.EADDRINUSE
        assert "in use" in error.strerror.lower()
    finally:
        first.close()
    assert ports.second_server_error(port) is None, "once the first server stops, the port is free again"


def test_free_port_skips_the_taken_one():
    first = ports.listen()
    port = first.getsockname()[1]
    try:
        found = ports.free_port(port)
        assert found > port
        assert ports.second_server_error(found) is None
        with pytest.raises(RuntimeError, match=rf"no free port in {port}\.\.{port}"):
            ports.free_port(port, attempts=1)
    finally:
        first.close()


@pytest.mark.parametrize("tools, platform, expected", [
    ({"ss", "lsof"}, "linux", "ss"),
    ({"lsof"}, "darwin", "lsof"),
    (set(), "win32", "netstat"),
    (set(), "linux", None),
])
def test_owner_command_per_system(monkeypatch, tools, platform, expected):
    monkeypatch.setattr(ports.shutil, "which", lambda name: f"/usr/bin/{name}" if name in tools else None)
    monkeypatch.setattr(ports.sys, "platform", platform)
    command = ports.owner_command(8000)
    assert (command[0] if command else None) == expected
    if expected == "ss":
        assert command == ["ss", "-ltnp", "sport = :8000"]
    if expected == "lsof":
        assert "-iTCP:8000" in command


def test_the_errno_table_matches_this_system():
    here = {"linux": "Linux and WSL", "darwin": "macOS", "win32": "Windows (WSAEADDRINUSE)"}.get(sys.platform)
    if here is None:
        pytest.skip("not Linux, macOS or Windows")
    assert ports.EADDRINUSE_BY_SYSTEM[here] == errno.EADDRINUSE


def test_port_clash_script_names_the_error_and_a_free_port():
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=True,
                            timeout=120)
    held = int(re.search(r"listens on 127\.0\.0\.1:(\d+)", result.stdout)[1])
    assert f"fails with: [Errno {errno.EADDRINUSE}]" in result.stdout
    free = int(re.search(r"The next free port from \d+ is (\d+)", result.stdout)[1])
    assert free > held
    if ports.owner_command(held) and ports.owner_command(held)[0] == "ss":
        assert "LISTEN" in result.stdout and "pid=" in result.stdout, "ss names the process holding the port"
