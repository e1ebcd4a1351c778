"""Operations commands: ``freshness`` (lag against the SLA, which upstream is late) and
``job`` (run durations, failure rate, retries)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from rich.markup import escape

from temporal_lineage.cli.app import TABLE, TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_mapping, print_rows
from temporal_lineage.config import parse_duration
from temporal_lineage.errors import ConfigError
from temporal_lineage.model import TableRef
from temporal_lineage.query.freshness import freshness
from temporal_lineage.query.operations_shapes import freshness_json, job_json
from temporal_lineage.query.run_health import DEFAULT_WINDOW, job_health
from temporal_lineage.times import now

KNOWN_AT = click.option(
    "--known-at", type=TIME, help="Ignore facts recorded after this time (as known then)."
)
AS_OF = click.option("--as-of", type=TIME, help="The time asked about (default: now).")


def parse_window(value: str | None) -> timedelta:
    """``--window``: ``24h``, ``7d``, ``30d`` (default 30 days).

    Raises:
        ConfigError: not a duration.
    """
    if value is None:
        return DEFAULT_WINDOW
    try:
        return parse_duration(value, where="--window")
    except ConfigError as exc:
        raise ConfigError(str(exc)) from None


def human(seconds: float | None) -> str | None:
    """A lag or duration for people: ``2d 3h``, ``1h 05m``, ``4m 10s``, ``2.5s``.

    >>> human(93784.0), human(3900.0), human(250.0), human(2.5)
    ('1d 2h', '1h 05m', '4m 10s', '2.5s')
    """
    if seconds is None:
        return None
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{seconds:.3g}s"


@cli.command("freshness")
@click.argument("table", type=TABLE, required=False)
@AS_OF
@KNOWN_AT
@command()
def freshness_command(
    inv: Invocation, table: TableRef | None, as_of: datetime | None, known_at: datetime | None
) -> None:
    """Each table's last commit, lag and SLA as of a time; late ones name the late upstream."""
    settings = inv.settings()
    store = inv.store()
    at = as_of or now()
    try:
        answer = freshness(
            store,
            [table] if table is not None else None,
            as_of=at,
            known_at=known_at,
            rules=settings.freshness,
        )
    finally:
        store.close()
    document = freshness_json(answer)
    if inv.json:
        print_json(document)
        return
    rows = [_freshness_row(item) for item in document]
    late = sum(item["late"] for item in document)
    print_rows(
        rows,
        ["table", "last_commit", "lag", "sla", "late", "late_upstream"],
        title=f"freshness as of {at.isoformat()}: {late} of {len(document)} late",
        empty="no table has a commit by then",
    )


def _freshness_row(item: dict[str, Any]) -> dict[str, Any]:
    upstream = ", ".join(
        f"{u['table']} ({human(u['lag_seconds'])} > {human(u['sla_seconds'])})"
        for u in item["late_upstream"]
    )
    row = {
        "table": escape(item["table"]),
        "last_commit": item["last_commit"],
        "lag": human(item["lag_seconds"]),
        "sla": human(item["sla_seconds"]),
        "late": "LATE" if item["late"] else "no",
        "late_upstream": escape(upstream) or None,
    }
    if item["late"]:
        row = {key: f"[bold red]{value}[/]" if value else value for key, value in row.items()}
    return row


@cli.command("job")
@click.argument("job")
@AS_OF
@KNOWN_AT
@click.option("--window", metavar="W", help="How far back from --as-of (default 30d).")
@command()
def job_command(
    inv: Invocation,
    job: str,
    as_of: datetime | None,
    known_at: datetime | None,
    window: str | None,
) -> None:
    """Run health of JOB (namespace/name): its runs in the window, durations, failures, retries."""
    span = parse_window(window)
    store = inv.store()
    try:
        answer = job_health(store, job, as_of=as_of or now(), known_at=known_at, window=span)
    finally:
        store.close()
    document = job_json(answer)
    if inv.json:
        print_json(document)
        return
    stats = dict(document["stats"])
    for key in ("duration_p50_seconds", "duration_p95_seconds"):
        stats[key] = human(stats[key])
    if stats["failure_rate"] is not None:
        stats["failure_rate"] = f"{stats['failure_rate']:.0%}"
    print_mapping(
        stats,
        ["job", "runs", "failed", "failure_rate", "retries"]
        + ["duration_p50_seconds", "duration_p95_seconds"],
    )
    rows = [{**run, "duration": human(run["duration_seconds"])} for run in document["runs"]]
    print_rows(
        rows,
        ["run", "state", "started_at", "ended_at", "duration", "attempt"],
        title=f"runs of {document['job']} in the {human(document['window_seconds'])} "
        f"before {document['as_of']}",
        empty="no run in the window",
    )
