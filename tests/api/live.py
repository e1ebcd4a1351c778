"""Real servers for tests that talk HTTP: the app in a uvicorn thread (``serving``), and
``temporal-lineage serve`` subprocesses (``ServeProcesses``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

SERVER_START_S = 90.0
"""How long a ``serve`` may take to answer ``/health`` (a loaded CI machine)."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcesses:
    """``temporal-lineage serve`` subprocesses started by a test session; ``stop`` ends them."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, config: Path, *options: str) -> tuple[str, Path]:
        """Start ``serve --config CONFIG OPTIONS --no-scheduler`` on a free port and wait for
        ``/health``; its base URL and log file. A server that exits or never answers fails
        the test with the tail of its log."""
        port = free_port()
        log = config.parent / f"serve-{port}.log"
        command = [sys.executable, "-m", "temporal_lineage", "serve", "--config", str(config)]
        command += [*options, "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return url, log
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"serve did not answer /health within {SERVER_START_S}s: {log.read_text()}")

    def stop(self) -> None:
        """Terminate every server started (killed when one does not stop in 20 s)."""
        for process in self.started:
            process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(600):
        if server.started:
            started.set()
            break
        thread.join(0.05)
        if not thread.is_alive():
            break
    if not started.is_set():
        server.should_exit = True
        raise RuntimeError("the test server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
