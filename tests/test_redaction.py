"""One redactor: a store password never shows, wherever the store URL (or a message quoting
it) appears: the store's own URL, store errors, CLI output, manifests, audits, /health, logs."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from scheduler.service import configure_logging
from temporal_lineage.api import create_app
from temporal_lineage.cli.main import cli
from temporal_lineage.cli.service_commands import redacting_log_config
from temporal_lineage.config import load_settings
from temporal_lineage.errors import StoreError, one_line
from temporal_lineage.query.reproduce import build_manifest
from temporal_lineage.redaction import RedactingFilter, redact
from temporal_lineage.report import audit_document
from temporal_lineage.store import open_store
from temporal_lineage.times import now

SECRET = "hunter2"


def _with_password(url: str) -> str:
    """``url`` (trust auth: any password is accepted) with the password as a query key."""
    return f"{url}{'&' if '?' in url else '?'}password={SECRET}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://tl:hunter2@db:5432/x", "postgresql+psycopg://tl:***@db:5432/x"),
        ("postgresql://db/x?user=tl&password=hunter2", "postgresql://db/x?user=tl&password=***"),
        ("postgresql://db/x?PWD=hunter2#f", "postgresql://db/x?PWD=***#f"),
        ("postgresql://u:p%40ss@db/x?password=y", "postgresql://u:***@db/x?password=***"),
        ("failed: host=db password='hunter 2' dbname=x", "failed: host=db password=*** dbname=x"),
        ("store postgresql://u:hunter2@db/x: refused", "store postgresql://u:***@db/x: refused"),
        ("postgresql+psycopg://tl@db/lineage", "postgresql+psycopg://tl@db/lineage"),
        ("sqlite:///lineage.db", "sqlite:///lineage.db"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_first_line_of_any_error_is_redacted() -> None:
    assert one_line(ValueError(f"cannot reach postgresql://u:{SECRET}@db/x\nmore")) == (
        "cannot reach postgresql://u:***@db/x"
    )


def test_a_store_url_with_a_query_password_is_shown_redacted(pg_database: str) -> None:
    store = open_store(_with_password(pg_database))
    try:
        assert SECRET not in store.url and "password=***" in store.url
    finally:
        store.close()


def test_a_store_error_hides_both_kinds_of_password() -> None:
    url = f"postgresql+psycopg://tl:{SECRET}@127.0.0.1:1/x?password={SECRET}&connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert SECRET not in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_cli_init_prints_the_store_redacted(pg_database: str) -> None:
    result = CliRunner().invoke(cli, ["init", "--store", _with_password(pg_database)])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "password=***" in result.output


def test_manifest_and_audit_carry_the_store_redacted() -> None:
    url = f"postgresql://tl:{SECRET}@db/x?sslmode=require&password={SECRET}"
    manifest = build_manifest([], root="s.t", as_of=now(), known_at=None, store=url)
    audit = audit_document(
        root="s.t",
        as_of=now(),
        known_at=None,
        generated_at=now(),
        store=url,
        lineage={"nodes": [], "edges": []},
        provenance={"nodes": [], "edges": []},
    )
    for document in (manifest, audit):
        assert document["store"] == "postgresql://tl:***@db/x?sslmode=require&password=***"
        assert SECRET not in json.dumps(document)


def test_health_never_shows_the_password(pg_database: str) -> None:
    settings = replace(load_settings(None), store_url=_with_password(pg_database))
    app = create_app(replace(settings, service=replace(settings.service, scheduler=False)))
    try:
        with TestClient(app) as client:
            response = client.get("/health")
        assert response.status_code == 200 and SECRET not in response.text
    finally:
        app.state.lineage.store.close()


def _logged_through(handler: logging.Handler, message: str, *args: object) -> str:
    record = logging.LogRecord(
        "temporal_lineage.sync", logging.ERROR, __file__, 1, message, args, None
    )
    if handler.filter(record):
        handler.handle(record)
    return handler.stream.getvalue()  # type: ignore[attr-defined]


def test_a_log_line_is_redacted_arguments_included() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(RedactingFilter())
    line = _logged_through(handler, "store %s failed", f"postgresql://u:{SECRET}@db/x")
    assert line == "store postgresql://u:***@db/x failed\n"


def test_every_handler_of_the_scheduler_and_of_serve_redacts() -> None:
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    try:
        configure_logging()
        assert root.handlers and all(
            any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers
        )
    finally:
        root.handlers = saved
    config = redacting_log_config()
    assert config["handlers"] and all(
        h["filters"] == ["redact"] for h in config["handlers"].values()
    )
