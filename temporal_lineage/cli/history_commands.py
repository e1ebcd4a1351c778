"""Commands about the store and table history: init, sync, tables, snapshots, schemas."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from temporal_lineage.cli.app import REF, TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.exit_codes import SYNC_HAD_ERRORS, one_line
from temporal_lineage.cli.output import print_json, print_mapping, print_rows
from temporal_lineage.errors import LineageError
from temporal_lineage.model import TableRef
from temporal_lineage.query import history, shapes
from temporal_lineage.store import open_store
from temporal_lineage.times import now

# sync, its progress bar and the readability check import the source libraries (pyiceberg,
# deltalake, pyarrow): imported in the commands that use them, not by `tables` or `schema`.


@cli.command()
@command()
def init(inv: Invocation) -> None:
    """Create the store, or migrate it to this version's schema."""
    settings = inv.settings()
    store = open_store(settings.store_url, migrate=False)
    try:
        applied = store.migrate()
        document = {"store": store.url, "revision": store.current_revision(), "migrated": applied}
    finally:
        store.close()
    if inv.json:
        print_json(document)
    else:
        state = "migrated to" if applied else "already at"
        click.echo(f"store {document['store']}: {state} revision {document['revision']}")


@cli.command()
@click.option("--source", "source_name", metavar="NAME", help="Only this configured source.")
@command()
def sync(inv: Invocation, source_name: str | None) -> None:
    """Poll the configured sources once and record what is new."""
    from temporal_lineage.cli.progress import BarProgress
    from temporal_lineage.query.propagation import consumers_of
    from temporal_lineage.sync import sync as run_sync

    settings = inv.settings()
    store = open_store(settings.store_url)
    try:
        if not inv.json and sys.stderr.isatty():
            with BarProgress() as bar:
                report = run_sync(store, settings, source=source_name, progress=bar)
        else:
            report = run_sync(store, settings, source=source_name)
        touched = consumers_of(store, report.schema_changes)
    finally:
        store.close()
    document = shapes.sync_report_json(report)
    document["schema_changes"] = shapes.change_consumers_json(touched)
    if inv.json:
        print_json(document)
    else:
        print_mapping(document, ["tables", "new_snapshots", "new_schema_versions"])
        for item in report.skipped:
            click.echo(f"skipped {item.path}: {item.reason}")
        for repair in report.repairs:
            click.echo(f"repaired {repair.table} {repair.field}: {repair.detail}")
        for change in document["schema_changes"]:
            if change["affected_columns"]:
                click.echo(
                    f"schema change with consumers: {change['table']} {change['kind']} "
                    f"{change['old_path']}: {change['affected_columns']} downstream column(s) "
                    f"in {change['affected_tables']} table(s) (see `propagation`)"
                )
    for error in report.errors:
        click.echo(f"error: {one_line(LineageError(error.error))}", err=True)
    if report.errors:
        sys.exit(SYNC_HAD_ERRORS)


@cli.command()
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def tables(inv: Invocation, known_at: datetime | None) -> None:
    """List the tables the store knows."""
    store = inv.store()
    try:
        rows = [shapes.table_json(t) for t in history.list_tables(store, known_at=known_at)]
    finally:
        store.close()
    if inv.json:
        print_json(rows)
    else:
        print_rows(rows, ["table", "format", "snapshots", "current_snapshot", "location"])


@cli.command()
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, help="Only the head at this time (inclusive).")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@click.option(
    "--ref",
    metavar="NAME",
    help="A branch or tag: its snapshot (with --as-of), else its snapshot now and ancestors.",
)
@click.option(
    "--check-readable",
    is_flag=True,
    help="Check that each snapshot can still be read at the source (file existence only).",
)
@command()
def snapshots(
    inv: Invocation,
    table: TableRef,
    as_of: datetime | None,
    known_at: datetime | None,
    ref: str | None,
    check_readable: bool,
) -> None:
    """Every snapshot of TABLE, or with --as-of the one current at that time."""
    settings = inv.settings()
    store = open_store(settings.store_url)
    try:
        found = history.snapshots_with_producers(
            store, table, as_of=as_of, known_at=known_at, ref_name=ref
        )
        causes = None
        if check_readable:
            from temporal_lineage.cli.progress import counting
            from temporal_lineage.query.readability import unreadable

            shown = not inv.json and sys.stderr.isatty()
            with counting("checking files", len(found), shown=shown) as advance:
                causes = unreadable(store, settings, table, [s for s, _ in found], advance)
    finally:
        store.close()
    rows = shapes.snapshot_rows(found, causes)
    if inv.json:
        print_json(rows)
    else:
        print_rows(
            rows,
            ["snapshot", "committed_at", "operation", "data_change", "schema_id", "run"]
            + ["expired_in_source"]
            + (["readable", "unreadable_because"] if check_readable else []),
            empty="(no snapshot)" if as_of is not None else "(none)",
        )


@cli.command()
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, help="The schema current at this time (default: now).")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@REF
@command()
def schema(
    inv: Invocation, table: TableRef, as_of: datetime | None, known_at: datetime | None, ref: str
) -> None:
    """The schema of TABLE as of a time, with field ids (of a branch or tag with --ref)."""
    store = inv.store()
    try:
        answer = history.schema_as_of(store, table, as_of or now(), known_at=known_at, ref_name=ref)
    finally:
        store.close()
    document = shapes.schema_json(answer) if answer is not None else None
    if inv.json:
        print_json(document)
    elif document is None:
        click.echo(f"{table} had no schema at that time")
    else:
        click.echo(
            f"{document['table']}  schema {document['schema_id']}  "
            f"(current since {document['effective_at']})"
        )
        print_rows(document["fields"], ["id", "path", "type", "nullable", "doc"])


@cli.command()
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, help="Only the refs alive at this time.")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def refs(
    inv: Invocation, table: TableRef, as_of: datetime | None, known_at: datetime | None
) -> None:
    """The branches and tags of TABLE over time (main is its head: see `snapshots`)."""
    from temporal_lineage.query.refs import refs_of

    store = inv.store()
    try:
        rows = [shapes.ref_json(r) for r in refs_of(store, table, as_of=as_of, known_at=known_at)]
    finally:
        store.close()
    if inv.json:
        print_json(rows)
    else:
        print_rows(rows, ["name", "kind", "snapshot", "from", "until"], empty="(no branch or tag)")


@cli.command("schema-history")
@click.argument("table", type=TABLE)
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def schema_history(inv: Invocation, table: TableRef, known_at: datetime | None) -> None:
    """Every schema TABLE had, with the typed changes between them."""
    store = inv.store()
    try:
        entries = history.schema_history(store, table, known_at=known_at)
    finally:
        store.close()
    rows = [shapes.schema_history_json(e) for e in entries]
    if inv.json:
        print_json(rows)
        return
    flat = []
    for row in rows:
        changes = row["changes"] or [{"kind": "(initial)" if row is rows[0] else "(none)"}]
        for change in changes:
            flat.append({**row, **change, "change": change["kind"]})
    print_rows(
        flat,
        [
            "schema_id",
            "effective_at",
            "dated_by",
            "change",
            "field_id",
            "old_path",
            "path",
            "old_type",
            "new_type",
        ],
    )
