"""Governance commands: classification, tag add|remove, policy check, erasure."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from temporal_lineage import jsontext
from temporal_lineage.cli.app import TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.model import TableRef, TagAction
from temporal_lineage.query.classification import classification
from temporal_lineage.query.governance_shapes import (
    classification_json,
    erasure_json,
    policy_json,
)
from temporal_lineage.query.policy import policy_check
from temporal_lineage.query.tagging import write_tag
from temporal_lineage.times import format_time, now

if TYPE_CHECKING:
    # The erasure probe reads snapshots (pyarrow) and parses the predicate (sqlglot): the
    # erasure commands import it when they run, the other governance commands never do.
    from temporal_lineage.query.erasure import Erasure

KNOWN_AT = click.option(
    "--known-at", type=TIME, help="Ignore facts recorded after this time (as known then)."
)
AS_OF = click.option("--as-of", type=TIME, help="The time asked about (default: now).")


@cli.command("classification")
@click.argument("table", type=TABLE)
@AS_OF
@KNOWN_AT
@command()
def classification_command(
    inv: Invocation, table: TableRef, as_of: datetime | None, known_at: datetime | None
) -> None:
    """Every column's tags as of a time: direct, propagated or may_contain, with the path."""
    settings = inv.settings()
    store = inv.store()
    try:
        answer = classification(store, settings.governance, table, as_of or now(), known_at)
    finally:
        store.close()
    document = classification_json(answer)
    if inv.json:
        print_json(document)
        return
    rows: list[dict[str, Any]] = []
    for column in document["columns"]:
        for tag in column["tags"]:
            rows.append(_tag_row(column["column"], tag))
        for stop in column["stopped"]:
            rows.append(
                {
                    "column": column["column"],
                    "tag": stop["tag"],
                    "how": "stopped",
                    "origin": _end(stop["origin"]),
                    "detail": stop["rule"],
                }
            )
    rows += [_tag_row("(table)", tag) for tag in document["table_tags"]]
    print_rows(
        rows,
        ["column", "tag", "how", "origin", "detail"],
        title=f"classification of {document['table']} as of {document['as_of']}",
        empty="no tag",
    )


def _end(where: dict[str, Any]) -> str:
    return f"{where['table']}.{where['column']}" if where.get("column") else str(where["table"])


def _tag_row(column: str, tag: dict[str, Any]) -> dict[str, Any]:
    path = (
        " -> ".join([tag["path"][0]["from"], *(h["to"] for h in tag["path"])])
        if tag["path"]
        else ""
    )
    return {
        "column": column,
        "tag": tag["tag"],
        "how": tag["how"],
        "origin": _end(tag["origin"]),
        "detail": f"{tag['detail']}{'; via ' + path if path else ''}",
    }


@cli.group("tag")
def tag_group() -> None:
    """Manual classification tags (facts with a valid time; nothing is deleted)."""


def _tag_command(action: TagAction) -> Any:
    @click.argument("target")
    @click.argument("tag")
    @click.option("--from", "from_", type=TIME, help="Valid from this time (default: now).")
    @click.option("--reason", help="Why (kept with the fact).")
    @command()
    def run(
        inv: Invocation, target: str, tag: str, from_: datetime | None, reason: str | None
    ) -> None:
        store = inv.store()
        try:
            written = write_tag(
                store, target, tag, action, effective_at=from_, reason=reason, source="cli"
            )
        finally:
            store.close()
        document = {
            "fact": written.fact_id,
            "table": str(written.table),
            "column": written.column,
            "field_id": written.field_id,
            "tag": written.tag,
            "action": written.action.value,
            "from": format_time(written.effective_at),
            "recorded_at": format_time(written.recorded_at),
        }
        if inv.json:
            print_json(document)
            return
        where = f"{document['table']}.{document['column']}" if written.column else document["table"]
        click.echo(f"{action.value}: {tag} on {where} from {document['from']}")

    return run


tag_group.command("add", help="Tag TARGET (TABLE or TABLE.COLUMN) with TAG from a time on.")(
    _tag_command(TagAction.ADD)
)
tag_group.command("remove", help="End TAG on TARGET (TABLE or TABLE.COLUMN) from a time on.")(
    _tag_command(TagAction.REMOVE)
)


@cli.group("policy")
def policy_group() -> None:
    """The policies of lineage.yaml."""


@policy_group.command("check")
@AS_OF
@KNOWN_AT
@click.option("--policy", "only", metavar="NAME", help="Check this policy only.")
@command()
def policy_check_command(
    inv: Invocation, as_of: datetime | None, known_at: datetime | None, only: str | None
) -> None:
    """Evaluate the policies as of a time; exit 1 when any is violated (a CI gate)."""
    settings = inv.settings()
    store = inv.store()
    try:
        report = policy_check(store, settings.governance, as_of or now(), known_at, only)
    finally:
        store.close()
    document = policy_json(report)
    if inv.json:
        print_json(document)
    else:
        rows = [
            {
                "policy": p["policy"],
                "ok": p["ok"],
                "where": f"{v['table']}.{v['column']}" if v["column"] else v["table"],
                "detail": v["detail"],
            }
            for p in document["policies"]
            for v in p["violations"] or [{"table": "", "column": None, "detail": "ok"}]
        ]
        print_rows(
            rows,
            ["policy", "ok", "where", "detail"],
            title=f"policies as of {document['as_of']}",
            empty="no policy configured",
        )
    if not report.ok:
        sys.exit(1)


class _CheckByDefault(click.Group):
    """``erasure TABLE ...`` runs ``erasure check``; ``erasure verify ...`` its own command."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["check", *args]
        return super().resolve_command(ctx, args)


@cli.group("erasure", cls=_CheckByDefault)
def erasure_group() -> None:
    """Right to erasure: where a subject's rows still live (erasure TABLE --where P)."""


ERASURE_OPTIONS = [
    click.argument("table", type=TABLE),
    click.option("--where", "where", required=True, help='The subject, e.g. "customer_id = 42".'),
    click.option("--since", type=TIME, help="Only snapshots committed from this time on."),
    click.option("-o", "--output-file", "out", metavar="FILE", help="Also write the report here."),
]


def _erasure_options(func: Any) -> Any:
    for option in reversed(ERASURE_OPTIONS):
        func = option(func)
    return func


@erasure_group.command("check")
@_erasure_options
@click.option(
    "--probe/--no-probe",
    default=True,
    show_default=True,
    help="Count the matching rows of every readable snapshot (predicate pushed down).",
)
@command()
def erasure_command(
    inv: Invocation,
    table: TableRef,
    where: str,
    since: datetime | None,
    out: str | None,
    probe: bool,
) -> None:
    """Every table the subject's key columns are carried into, and each snapshot's rows."""
    answer = _run_erasure(inv, table, where, since, probe)
    _show_erasure(inv, answer, out)


@erasure_group.command("verify")
@_erasure_options
@click.option(
    "--results",
    type=click.Path(exists=True, dir_okay=False),
    help='Counts an engine produced: JSON [{"table", "snapshot", "rows"}].',
)
@command()
def erasure_verify_command(
    inv: Invocation,
    table: TableRef,
    where: str,
    since: datetime | None,
    out: str | None,
    results: str | None,
) -> None:
    """Re-run the erasure check and record its result as a fact (exit 1 when incomplete);
    counts in ``--results`` replace the probe's for the snapshots they name."""
    from temporal_lineage.query.erasure import with_engine_results
    from temporal_lineage.query.erasure_verify import read_engine_results, record_verification

    counts = read_engine_results(Path(results)) if results else None
    answer = _run_erasure(inv, table, where, since, probe=True)
    if counts is not None:
        answer = with_engine_results(answer, counts)
    store = inv.store()
    try:
        record_verification(store, answer, "engine" if counts is not None else "probe")
    finally:
        store.close()
    _show_erasure(inv, answer, out)
    if not answer.complete:
        sys.exit(1)


def _run_erasure(
    inv: Invocation, table: TableRef, where: str, since: datetime | None, probe: bool
) -> Erasure:
    from temporal_lineage.cli.progress import counting
    from temporal_lineage.query.erasure import erasure

    settings = inv.settings()
    store = inv.store()
    try:
        shown = probe and not inv.json and sys.stderr.isatty()
        with counting("erasure: snapshots checked", None, shown=shown) as progress:
            return erasure(
                store, settings, table, where, since=since, probe=probe, progress=progress
            )
    finally:
        store.close()


def _show_erasure(inv: Invocation, answer: Erasure, out: str | None) -> None:
    document = erasure_json(answer)
    if out:
        from temporal_lineage.report.erasure_page import erasure_page

        page = jsontext.dumps(document) if inv.json else erasure_page(document)
        Path(out).write_text(page, encoding="utf-8")
    if inv.json:
        print_json(document)
        return
    rows = [
        {
            "table": t["table"],
            "status": t["status"],
            "where": t["where"] or t["reason"],
            "head rows": t["head"]["rows"] if t["head"] else None,
            "holding snapshots": ", ".join(
                str(s["snapshot"]) for s in t["snapshots"] if s["readable"] and s["rows"]
            ),
        }
        for t in document["tables"]
    ]
    verdict = "complete" if document["complete"] else "NOT complete"
    print_rows(
        rows,
        ["table", "status", "where", "head rows", "holding snapshots"],
        title=f"erasure of {document['where']} in {document['table']}: {verdict}",
        empty="no table",
    )
