"""Fixtures of the source tests: an S3-compatible server on 127.0.0.1 (moto), started here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The ``http://127.0.0.1:<port>`` URL of a moto S3 server this test run started.

    Started on first use and stopped at the end of the run; skipped only when moto (a dev
    dependency) is not installed.
    """
    pytest.importorskip("moto.server", reason="moto is needed for the object-storage tests")
    from .s3_server import start_s3_server

    server = start_s3_server()
    try:
        yield server.endpoint
    finally:
        server.stop()
