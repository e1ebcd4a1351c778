"""Access commands: ``access TABLE`` (who read it, when, at which snapshot, which columns)."""

from __future__ import annotations

from datetime import datetime

import click

from temporal_lineage.cli.app import TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.model import TableRef
from temporal_lineage.query.access import access
from temporal_lineage.query.access_shapes import access_json


@cli.command("access")
@click.argument("table", type=TABLE)
@click.option("--from", "start", type=TIME, help="Reads from this time on (default: all).")
@click.option("--to", "end", type=TIME, help="Reads up to this time (default: now).")
@click.option("--column", help="Only reads of this column (by field id: renames followed).")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def access_command(
    inv: Invocation,
    table: TableRef,
    start: datetime | None,
    end: datetime | None,
    column: str | None,
    known_at: datetime | None,
) -> None:
    """Who read TABLE in a window: run, job, principal, snapshot, columns and evidence."""
    store = inv.store()
    try:
        reads = access(store, table, start=start, end=end, column=column, known_at=known_at)
    finally:
        store.close()
    document = access_json(reads)
    if inv.json:
        print_json(document)
        return
    rows = [
        {
            **read,
            "columns": ", ".join(read["columns"]) if read["columns"] is not None else "?",
        }
        for read in document
    ]
    print_rows(
        rows,
        ["at", "principal", "job", "run", "snapshot", "columns", "evidence"],
        title=f"reads of {table}" + (f" (column {column})" if column else ""),
        empty="no read",
    )
