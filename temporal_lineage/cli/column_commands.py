"""Commands about columns: impact (and what-if), propagation of schema changes."""

from __future__ import annotations

from datetime import datetime

import click

from temporal_lineage.cli.app import TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.model import TableRef
from temporal_lineage.query import shapes
from temporal_lineage.query.impact import impact
from temporal_lineage.query.propagation import propagation
from temporal_lineage.query.whatif import ProposedChange, judge

KNOWN_AT = click.option(
    "--known-at", type=TIME, help="Ignore facts recorded after this time (as known then)."
)


@cli.command("impact")
@click.argument("table", type=TABLE)
@click.argument("column")
@click.option("--as-of", type=TIME, help="The time asked about (default: now).")
@click.option("--depth", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--change", help="What if: drop, rename or type:<new type>.")
@KNOWN_AT
@command()
def impact_command(
    inv: Invocation,
    table: TableRef,
    column: str,
    as_of: datetime | None,
    depth: int,
    change: str | None,
    known_at: datetime | None,
) -> None:
    """The downstream columns, tables and jobs fed by TABLE.COLUMN (by field identity)."""
    proposed = ProposedChange.parse(change) if change else None
    store = inv.store()
    try:
        answer = impact(store, table, column, as_of=as_of, depth=depth, known_at=known_at)
    finally:
        store.close()
    verdicts = judge(answer, proposed, answer.column_type) if proposed else None
    document = shapes.impact_json(answer, verdicts, change)
    if inv.json:
        print_json(document)
        return
    columns = ["depth", "table", "column", "job", "kind", "subtype"]
    if verdicts is not None:
        columns += ["breaks", "reason"]
    print_rows(
        document["affected"],
        columns,
        title=f"downstream of {document['table']}.{document['column']} "
        f"(field {document['field_id']}) as of {document['as_of']}",
        empty="no downstream column",
    )


@cli.command("propagation")
@click.argument("table", type=TABLE)
@click.option("--since", type=TIME, help="Only schema changes from this time on.")
@click.option("--as-of", type=TIME, help="Status as of this time (default: now).")
@KNOWN_AT
@command()
def propagation_command(
    inv: Invocation,
    table: TableRef,
    since: datetime | None,
    as_of: datetime | None,
    known_at: datetime | None,
) -> None:
    """For every schema change of TABLE: has it reached each downstream column?"""
    store = inv.store()
    try:
        found = propagation(store, table, since=since, as_of=as_of, known_at=known_at)
    finally:
        store.close()
    document = shapes.propagation_json(found)
    if inv.json:
        print_json(document)
        return
    rows = [
        {
            "change": f"{item['change']['kind']} {item['change']['old_path'] or ''}"
            f"{' -> ' + item['change']['path'] if item['change']['kind'] == 'renamed' else ''}",
            "effective_at": item["change"]["effective_at"],
            **d,
            "runs": ", ".join(f"…{r['run'][-12:]} {r['state']}" for r in d["runs"]) or "-",
        }
        for item in document
        for d in item["downstream"] or [{"table": "-", "column": "-", "status": "-", "runs": []}]
    ]
    print_rows(rows, ["change", "effective_at", "table", "column", "status", "runs"])
