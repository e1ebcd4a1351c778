"""Data-quality and root-cause commands: ``quality`` (a table's results and whether it is
suspect, with the provenance path) and ``triage`` (what changed upstream, ranked)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from rich.markup import escape

from temporal_lineage.cli.app import TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.config import parse_duration
from temporal_lineage.model import TableRef
from temporal_lineage.query.quality import quality
from temporal_lineage.query.quality_shapes import quality_json
from temporal_lineage.query.triage import triage
from temporal_lineage.query.triage_shapes import triage_json
from temporal_lineage.times import now

TRIAGE_WINDOW = timedelta(hours=24)

KNOWN_AT = click.option(
    "--known-at", type=TIME, help="Ignore facts recorded after this time (as known then)."
)


@cli.command("quality")
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, help="The time asked about (default: now).")
@KNOWN_AT
@command()
def quality_command(
    inv: Invocation, table: TableRef, as_of: datetime | None, known_at: datetime | None
) -> None:
    """TABLE's data-quality results as of a time, and whether it is SUSPECT (produced from a
    snapshot with a failed assertion, through provenance), with the path."""
    store = inv.store()
    try:
        report = quality(store, table, as_of=as_of or now(), known_at=known_at)
    finally:
        store.close()
    document = quality_json(report)
    if inv.json:
        print_json(document)
        return
    _print_quality(document)


def _verdict(document: dict[str, Any]) -> str:
    if document["snapshot"] is None:
        return "NO SNAPSHOT (the table had no commit by then)"
    said = []
    if document["suspect"]:
        said.append("SUSPECT")
    if document["failed"]:
        said.append("FAILED (its own results)")
    return " and ".join(said) or "clean"


def _print_quality(document: dict[str, Any]) -> None:
    click.echo(
        f"{document['table']} at snapshot {document['snapshot']} as of {document['as_of']}: "
        f"{_verdict(document)}"
    )
    rows = [
        {
            "check": r["check"],
            "kind": r["kind"],
            "column": r["column"],
            "success": {True: "pass", False: "FAIL", None: "-"}[r["success"]],
            "value": r["value"],
            "run": r["run"],
            "at": r["at"],
        }
        for r in document["results"]
    ]
    print_rows(
        rows,
        ["check", "kind", "column", "success", "value", "run", "at"],
        title="results",
        empty="no result attached to this snapshot",
    )
    for why in document["because"]:
        path = " -> ".join(
            [f"{why['table']}@{why['snapshot']}"]
            + [f"{s['to_table']}@{s['to_snapshot']}" for s in why["path"]]
        )
        column = f" on {why['column']}" if why["column"] else ""
        click.echo(f"SUSPECT because {why['assertion']}{column} failed: {escape(path)}")


def _window(value: str | None) -> timedelta:
    """``--window`` (default 24h)."""
    if value is None:
        return TRIAGE_WINDOW
    return parse_duration(value, where="--window")


@cli.command("triage")
@click.argument("table", type=TABLE)
@click.option("--at", "at", type=TIME, required=True, help="When it broke.")
@click.option("--window", metavar="W", help="How far back from --at (default 24h).")
@KNOWN_AT
@command()
def triage_command(
    inv: Invocation,
    table: TableRef,
    at: datetime,
    window: str | None,
    known_at: datetime | None,
) -> None:
    """What changed upstream of TABLE in the window before --at, most likely cause first."""
    span = _window(window)
    settings = inv.settings()
    store = inv.store()
    try:
        answer = triage(
            store, table, at=at, window=span, known_at=known_at, rules=settings.freshness
        )
    finally:
        store.close()
    document = triage_json(answer)
    if inv.json:
        print_json(document)
        return
    rows = [
        {
            "rank": c["rank"],
            "kind": c["kind"],
            "table": c["table"] or c["job"],
            "distance": c["distance"],
            "at": c["at"],
            "detail": c["detail"],
        }
        for c in document["causes"]
    ]
    print_rows(
        rows,
        ["rank", "kind", "table", "distance", "at", "detail"],
        title=f"triage of {document['table']} at {document['at']} ({human_window(span)} back)",
        empty="nothing changed upstream in the window",
    )


def human_window(span: timedelta) -> str:
    """A window for people.

    >>> human_window(timedelta(hours=24)), human_window(timedelta(minutes=90))
    ('24h', '90m')
    """
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
