"""Commands about runs and the past: ingest, lineage, provenance."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from temporal_lineage.cli.app import REF, TABLE, TIME, F, Invocation, cli, command
from temporal_lineage.cli.graphs import to_dot, to_mermaid
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.errors import ConfigError
from temporal_lineage.model import TableRef
from temporal_lineage.query import shapes
from temporal_lineage.query.diff import diff
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.query.provenance import provenance
from temporal_lineage.store import open_store

# ingest (the OpenLineage parser), audit (the report), reproduce and verify (which read
# data: polars, pyarrow and the source libraries) import what they need when they run.


def output_file(what: str) -> Callable[[F], F]:
    """The ``-o/--output FILE`` option (stdout when absent)."""
    return click.option(
        "-o",
        "--output",
        "output_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"Write the {what} here (default: stdout).",
    )


KNOWN_AT = click.option(
    "--known-at", type=TIME, help="Ignore facts recorded after this time (as known then)."
)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@command()
def ingest(inv: Invocation, files: tuple[Path, ...]) -> None:
    """Store OpenLineage events (one JSON event, a JSON array, or NDJSON per file)."""
    from temporal_lineage.ingest import ingest_files

    store = inv.store()
    try:
        report = ingest_files(store, list(files))
    finally:
        store.close()
    document = {
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": [
            {"file": r.origin, "index": r.index, "error": r.error} for r in report.rejected
        ],
    }
    if inv.json:
        print_json(document)
    else:
        click.echo(f"accepted {report.accepted} ({report.duplicates} already stored)")
    for rejection in report.rejected:
        click.echo(f"rejected: {rejection.error}", err=True)
    if report.rejected:
        sys.exit(1)


@cli.command("lineage")
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, required=True, help="The time the lineage is asked for.")
@click.option(
    "--direction",
    type=click.Choice([d.value for d in Direction]),
    default="upstream",
    show_default=True,
)
@click.option("--depth", type=click.IntRange(1, 100), default=5, show_default=True)
@KNOWN_AT
@REF
@command(formats=("table", "json", "dot", "mermaid"))
def lineage_command(
    inv: Invocation,
    table: TableRef,
    as_of: datetime,
    direction: str,
    depth: int,
    known_at: datetime | None,
    ref: str,
) -> None:
    """The lineage of TABLE as of a time: tables and jobs, with the evidence of each edge."""
    store = inv.store()
    try:
        graph = lineage(
            store,
            table,
            as_of,
            direction=Direction(direction),
            depth=depth,
            known_at=known_at,
            ref_name=ref,
        )
    finally:
        store.close()
    document = shapes.lineage_json(graph)
    if inv.output == "json":
        print_json(document)
    elif inv.output == "dot":
        click.echo(to_dot(document), nl=False)
    elif inv.output == "mermaid":
        click.echo(to_mermaid(document), nl=False)
    else:
        print_rows(document["nodes"], ["table", "snapshot", "committed_at"], title="nodes")
        rows = [{**e, "evidence": _kinds(e["evidence"])} for e in document["edges"]]
        print_rows(rows, ["from", "to", "job", "run", "evidence"], title="edges")


@cli.command("provenance")
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, required=True, help="The time the provenance is asked for.")
@KNOWN_AT
@REF
@command()
def provenance_command(
    inv: Invocation, table: TableRef, as_of: datetime, known_at: datetime | None, ref: str
) -> None:
    """Every snapshot that went into TABLE's snapshot at a time, with runs and code versions."""
    store = inv.store()
    try:
        graph = provenance(store, table, as_of, known_at=known_at, ref_name=ref)
    finally:
        store.close()
    document = shapes.provenance_json(graph)
    if inv.json:
        print_json(document)
        return
    rows = [{**n, "evidence": _kinds(n["evidence"])} for n in document["nodes"]]
    print_rows(
        rows,
        [
            "table",
            "snapshot",
            "committed_at",
            "run",
            "job",
            "code_version",
            "evidence",
            "maintenance_run",
        ],
        title=f"provenance of {document['root']} as of {document['as_of']}",
    )
    edges = [{**e, "evidence": _kinds(e["evidence"])} for e in document["edges"]]
    print_rows(edges, ["from_table", "from_snapshot", "to_table", "to_snapshot", "run", "evidence"])


def _kinds(evidence: list[dict[str, str]] | None) -> str:
    return ", ".join(e["kind"] for e in evidence or []) or "-"


@cli.command("diff")
@click.argument("table", type=TABLE)
@click.option("--from", "start", type=TIME, required=True, help="The earlier time (A).")
@click.option("--to", "end", type=TIME, required=True, help="The later time (B).")
@KNOWN_AT
@command()
def diff_command(
    inv: Invocation, table: TableRef, start: datetime, end: datetime, known_at: datetime | None
) -> None:
    """What changed upstream of TABLE between its heads at A and at B."""
    store = inv.store()
    try:
        document = shapes.diff_json(diff(store, table, start, end, known_at=known_at))
    finally:
        store.close()
    if inv.json:
        print_json(document)
        return
    print_rows(
        [u for u in document["upstream"] if u["changed"]],
        ["table", "from_snapshot", "to_snapshot"],
        title="upstream snapshots that changed",
        empty="no upstream snapshot changed",
    )
    print_rows(
        document["schema_changes"],
        ["table", "effective_at", "kind", "field_id", "old_path", "path", "old_type", "new_type"],
        title="schema changes",
        empty="no schema change",
    )
    print_rows(
        [c for c in document["code"] if c["changed"]],
        ["table", "job", "from_code_version", "to_code_version", "sql_changed"],
        title="code and parameters that changed",
        empty="no code change",
    )


@cli.command("audit")
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, required=True, help="The time the audit is about.")
@KNOWN_AT
@output_file("report")
@click.option("--depth", type=click.IntRange(1, 100), default=10, show_default=True)
@command(formats=("html", "json"))
def audit_command(
    inv: Invocation,
    table: TableRef,
    as_of: datetime,
    known_at: datetime | None,
    output_path: Path | None,
    depth: int,
) -> None:
    """A self-contained report of TABLE's lineage and provenance as of a time, with evidence."""
    from temporal_lineage.report import audit_of, render_html

    settings = inv.settings()
    store = inv.store()
    try:
        document = audit_of(
            store,
            table,
            as_of,
            known_at=known_at,
            depth=depth,
            governance=settings.governance,
            freshness_rules=settings.freshness,
        )
    finally:
        store.close()
    text = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if inv.output == "json"
        else render_html(document)
    )
    if output_path is None:
        click.echo(text, nl=False)
        return
    _write(output_path, text)
    click.echo(f"wrote {output_path} ({len(text):,} bytes)", err=True)


@cli.command("reproduce")
@click.argument("table", type=TABLE)
@click.option("--as-of", type=TIME, required=True, help="The time to reproduce.")
@KNOWN_AT
@REF
@output_file("manifest")
@command(formats=("json",))
def reproduce_command(
    inv: Invocation,
    table: TableRef,
    as_of: datetime,
    known_at: datetime | None,
    ref: str,
    output_path: Path | None,
) -> None:
    """A manifest that re-reads exactly the data TABLE was made from as of a time."""
    from temporal_lineage.query.pinning import pinned_tables
    from temporal_lineage.query.reproduce import build_manifest

    settings = inv.settings()
    store = open_store(settings.store_url)
    try:
        closure = provenance(store, table, as_of, known_at=known_at, ref_name=ref)
        pinned = pinned_tables(store, settings, closure)
        manifest = build_manifest(
            pinned, root=str(table), as_of=as_of, known_at=known_at, store=store.url, ref=ref
        )
    finally:
        store.close()
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if output_path is None:
        click.echo(text, nl=False)
    else:
        _write(output_path, text)
        click.echo(f"wrote {output_path}: {len(pinned)} table(s)", err=True)
    for entry in manifest["tables"]:
        if entry.get("error"):
            click.echo(f"error: {entry['error']}", err=True)
    if any(entry.get("error") for entry in manifest["tables"]):
        sys.exit(1)


@cli.command("verify")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@command(formats=("table", "json"))
def verify_command(inv: Invocation, manifest: Path) -> None:
    """Re-read every table of MANIFEST at its snapshot; check row counts and fingerprints."""
    from temporal_lineage.query.reproduce import verify_manifest
    from temporal_lineage.sources.factory import read_options

    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{manifest}: not a manifest: {exc}") from exc
    settings = inv.settings()
    options = {source.name: read_options(source) for source in settings.sources}
    result = verify_manifest(document, storage_options=options)
    if inv.json:
        print_json(result)
    else:
        print_rows(result["tables"], ["table", "ok", "error"], title=f"ok: {result['ok']}")
    if not result["ok"]:
        sys.exit(1)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
