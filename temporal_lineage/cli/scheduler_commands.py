"""``temporal-lineage scheduler run``: a sync worker (several may share one store)."""

from __future__ import annotations

import logging

import click

from temporal_lineage.cli.app import Invocation, cli, command
from temporal_lineage.cli.output import print_json
from temporal_lineage.store import open_store


@cli.group("scheduler")
def scheduler_group() -> None:
    """Scheduled sync: every source on its poll_interval, tables shared out by leases."""


@scheduler_group.command("run")
@click.option(
    "--worker-id",
    metavar="ID",
    help="This worker's id, unique among live workers (default: worker:<host>:<pid>).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Only this configured source (repeatable; default: all).",
)
@click.option(
    "--passes",
    type=click.IntRange(min=1),
    help="Stop after N passes of every source (default: until SIGTERM/SIGINT).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Logging on stderr (info: one line per sync pass).",
)
@command()
def scheduler_run(
    inv: Invocation,
    worker_id: str | None,
    sources: tuple[str, ...],
    passes: int | None,
    log_level: str,
) -> None:
    """Sync the configured sources on their poll_interval until stopped.

    Each pass syncs only the tables that are due and not leased by another worker, so
    several workers on one store share the tables and never sync one twice at once.
    SIGTERM or SIGINT stops the worker after its running passes finish.
    """
    from scheduler import check_worker_id, configure_logging, default_worker_id, run_until_stopped

    settings = inv.settings()
    worker = check_worker_id(worker_id) if worker_id is not None else default_worker_id()
    configure_logging(getattr(logging, log_level.upper()))
    store = open_store(settings.store_url)
    try:
        done = run_until_stopped(
            settings, store, worker=worker, sources=sources or None, passes=passes
        )
    finally:
        store.close()
    if inv.json:
        print_json({"worker": worker, "passes": done})
    else:
        summary = ", ".join(f"{name} {count}" for name, count in done.items())
        click.echo(f"worker {worker} stopped; passes: {summary}")
