"""Starts a bytom2 dev node on a free port for the web3.py tests."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def node_url():
    binary = os.environ.get("BYTOM2_BIN", str(REPO / "target" / "debug" / "bytom2"))
    datadir = tempfile.mkdtemp(prefix="bytom2-py-")
    proc = subprocess.Popen(
        [binary, "--dev", "--port", "0", "--datadir", datadir, "--log-level", "warn"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = None
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"Listening on (\S+)", line)
        if m:
            url = f"http://{m.group(1)}"
            break
    try:
        assert url, "node did not start"
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(datadir, ignore_errors=True)
