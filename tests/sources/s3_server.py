"""An S3-compatible server on 127.0.0.1 for tests: moto's ThreadedMotoServer, own process.

The server runs in a child process, not a thread of the test process: deltalake's
``DeltaTable.history()`` keeps the GIL while it waits for S3, so a server thread in the
same process could not answer it (the call hangs until its retry timeout, minutes).
Nothing here reaches the internet: the server binds 127.0.0.1 on a free port of its own
choosing (port 0) and reports it back through a pipe.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
from dataclasses import dataclass

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """Child process: start the server, send its port, serve until told to stop."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(server.get_host_and_port()[1])
    try:
        conn.recv()  # any message, or the parent going away (EOFError), means stop
    except EOFError:
        pass
    server.stop()


@dataclass
class S3Server:
    """A running server; ``endpoint`` is its ``http://127.0.0.1:<port>`` URL."""

    endpoint: str
    _process: multiprocessing.process.BaseProcess
    _conn: multiprocessing.connection.Connection

    def stop(self) -> None:
        """Stop the server and wait for its process (killed if it does not end)."""
        try:
            self._conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self._process.join(STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_TIMEOUT_S)
        self._conn.close()


def start_s3_server() -> S3Server:
    """Start moto's S3-compatible server on 127.0.0.1 in a child process."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True, name="moto-s3")
    process.start()
    child.close()
    if not parent.poll(START_TIMEOUT_S):
        process.kill()
        raise RuntimeError(f"the S3 test server did not start within {START_TIMEOUT_S}s")
    try:
        port = int(parent.recv())
    except EOFError:
        process.join(STOP_TIMEOUT_S)
        raise RuntimeError(f"the S3 test server exited with {process.exitcode}") from None
    return S3Server(f"http://127.0.0.1:{port}", process, parent)
