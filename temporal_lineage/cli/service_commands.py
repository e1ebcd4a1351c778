"""Commands of the service: ``serve``, ``token create|list|revoke`` and ``run``."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from functools import partial
from typing import Any

import click

from temporal_lineage.cli.app import TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_mapping, print_rows
from temporal_lineage.errors import ConfigError
from temporal_lineage.query import shapes
from temporal_lineage.query.runs import run_detail
from temporal_lineage.redaction import RedactingFilter, redact
from temporal_lineage.store.tokens import Scope
from temporal_lineage.times import format_time, now


@cli.command()
@click.option("--host", help="Address to bind (default: service.host, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: service.port, 8750).")
@click.option("--open-reads", is_flag=True, default=None, help="Reads need no token.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="HTTP worker processes (the API is stateless; SQLite allows one writer at a time).",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=None,
    help="Run the background sync (default: service.scheduler, on).",
)
@command(formats=("table",))
def serve(
    inv: Invocation,
    host: str | None,
    port: int | None,
    open_reads: bool | None,
    workers: int,
    scheduler: bool | None,
) -> None:
    """HTTP API, OpenLineage endpoint and web UI, with scheduled background sync."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from scheduler import start_background
    from temporal_lineage.api import create_app
    from temporal_lineage.api.app import worker_app
    from temporal_lineage.store import open_store

    settings = inv.settings()
    service = settings.service
    service = replace(
        service,
        host=host or service.host,
        port=service.port if port is None else port,
        open_reads=service.open_reads if open_reads is None else open_reads,
        scheduler=service.scheduler if scheduler is None else scheduler,
    )
    settings = replace(settings, service=service)
    click.echo(
        f"serving {redact(settings.store_url)} on http://{service.host}:{service.port} "
        f"(reads {'open' if service.open_reads else 'need a token'}, "
        f"scheduler {'on' if service.scheduler else 'off'}, {workers} worker(s))",
        err=True,
    )
    logging = redacting_log_config()
    if workers == 1:
        app = create_app(settings)
        uvicorn.run(app, host=service.host, port=service.port, log_config=logging)
        return
    # One scheduler for the whole service, in this supervising process; workers only serve.
    store = open_store(settings.store_url)  # migrates once, fails early
    scheduled = service.scheduler and bool(settings.sources)
    background = start_background(settings, store) if scheduled else None
    spec = {
        "config": str(settings.config_path) if settings.config_path else inv.config,
        "store": settings.store_url,
        "service": {**asdict(service), "scheduler": False},
    }
    # The worker processes are spawned: they get the settings with uvicorn's own config
    # (pickled to each), not through this process's environment.
    config = uvicorn.Config(
        partial(worker_app, spec),
        factory=True,
        workers=workers,
        host=service.host,
        port=service.port,
        log_config=logging,
    )
    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        if background is not None:
            background.shutdown()
        store.close()


def redacting_log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with every handler passing through the redactor."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG, "filters": {"redact": {"()": RedactingFilter}}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config


@cli.group()
def token() -> None:
    """API tokens (stored hashed; the secret is shown once)."""


@token.command("create")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in Scope]),
    required=True,
    help="read: answers; write: also post events; admin: also trigger syncs.",
)
@click.option("--name", help="A label to recognise the token by.")
@command(formats=("json", "table"))
def token_create(inv: Invocation, scope: str, name: str | None) -> None:
    """Make a token; prints it once (only its hash is stored)."""
    store = inv.store()
    try:
        secret = store.create_token(Scope(scope), now(), name)
    finally:
        store.close()
    document = {"token": secret, "scope": scope, "name": name}
    if inv.json:
        print_json(document)
    else:
        print_mapping(document, ["token", "scope", "name"])


@token.command("list")
@command()
def token_list(inv: Invocation) -> None:
    """Every token (prefix, scope, name, created, revoked); never a secret."""
    store = inv.store()
    try:
        with store.reader() as reader:
            found = reader.list_tokens()
    finally:
        store.close()
    rows = [
        {
            "prefix": t.prefix,
            "scope": t.scope.value,
            "name": t.name,
            "created_at": format_time(t.created_at),
            "revoked_at": format_time(t.revoked_at),
        }
        for t in found
    ]
    if inv.json:
        print_json(rows)
    else:
        print_rows(rows, ["prefix", "scope", "name", "created_at", "revoked_at"])


@token.command("revoke")
@click.argument("prefix")
@command()
def token_revoke(inv: Invocation, prefix: str) -> None:
    """Revoke the token whose prefix is PREFIX (the 8 hex digits after ``tl_``)."""
    store = inv.store()
    try:
        done = store.revoke_token(prefix.removeprefix("tl_").split("_")[0], now())
    finally:
        store.close()
    if not done:
        raise ConfigError(f"no live token with prefix {prefix!r}")
    if inv.json:
        print_json({"revoked": prefix})
    else:
        click.echo(f"revoked {prefix}")


@cli.command("run")
@click.argument("run_id")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def run_command(inv: Invocation, run_id: str, known_at: datetime | None) -> None:
    """One run: its job, state, code, the snapshots it read and the ones it wrote."""
    store = inv.store()
    try:
        document = shapes.run_json(run_detail(store, run_id, known_at=known_at))
    finally:
        store.close()
    if inv.json:
        print_json(document)
        return
    print_mapping(document, ["run", "job", "state", "started_at", "ended_at", "code_version"])
    print_rows(document["inputs"], ["table", "snapshot", "committed_at"], title="read")
    outputs = [
        {"table": o["table"], "snapshot": s["snapshot"], "committed_at": s["committed_at"]}
        for o in document["outputs"]
        for s in o["snapshots"] or [{"snapshot": None, "committed_at": None}]
    ]
    print_rows(outputs, ["table", "snapshot", "committed_at"], title="wrote")
