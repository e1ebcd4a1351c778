"""``hygiene``: what costs storage and nobody reads (unused tables by size, redundant jobs,
small commits, snapshots retained past the policy), as of a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from temporal_lineage.cli.app import TIME, Invocation, cli, command
from temporal_lineage.cli.output import print_json, print_rows
from temporal_lineage.governance_config import parse_age
from temporal_lineage.query.hygiene import hygiene
from temporal_lineage.query.hygiene_shapes import hygiene_json
from temporal_lineage.times import now

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(size: int | None) -> str:
    """A byte count as people read it.

    >>> human_bytes(512), human_bytes(8 * 1024 * 1024), human_bytes(1536), human_bytes(None)
    ('512 B', '8.0 MiB', '1.5 KiB', '?')
    """
    if size is None:
        return "?"
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _age(seconds: float) -> str:
    """A duration in its largest whole unit: ``30d``, ``36h``, ``90m``, ``45s``."""
    whole = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{seconds:g}s"


@cli.command("hygiene")
@click.option("--as-of", type=TIME, help="The time asked about (default: now).")
@click.option("--window", metavar="W", help="How far back from --as-of (default: hygiene.window).")
@click.option("--known-at", type=TIME, help="Ignore facts recorded after this time.")
@command()
def hygiene_command(
    inv: Invocation, as_of: datetime | None, window: str | None, known_at: datetime | None
) -> None:
    """Unused tables (largest first), redundant jobs, small commits, retained snapshots."""
    settings = inv.settings()
    span = parse_age(window, "--window") if window is not None else None
    store = inv.store()
    try:
        answer = hygiene(
            store,
            as_of=as_of or now(),
            window=span,
            known_at=known_at,
            settings=settings.hygiene,
        )
    finally:
        store.close()
    document = hygiene_json(answer)
    if inv.json:
        print_json(document)
        return
    window_text = _age(document["window_seconds"])
    print_rows(
        [{**u, "bytes": human_bytes(u["bytes"])} for u in document["unused"]],
        ["table", "bytes", "last_read", "last_write"],
        title=f"unused in the {window_text} before {document['as_of']} (largest first)",
        empty="no unused table",
    )
    print_rows(
        [_joined(r) for r in document["redundant"]],
        ["jobs", "inputs", "outputs"],
        title="redundant jobs (same inputs, same column lineage)",
        empty="no redundant jobs",
    )
    print_rows(
        [{**s, "median_bytes": human_bytes(s["median_bytes"])} for s in document["small_commits"]],
        ["table", "commits", "median_bytes"],
        title=f"small commits in the {window_text} (compaction candidates)",
        empty="no table with many small commits",
    )
    print_rows(
        [{**r, "max_age": _age(r["max_age_seconds"])} for r in document["retained"]],
        ["table", "snapshots", "oldest", "max_age"],
        title="snapshots readable in the source past the retention age",
        empty="no snapshot retained past the policy",
    )


def _joined(group: dict[str, Any]) -> dict[str, str]:
    return {key: ", ".join(group[key]) for key in ("jobs", "inputs", "outputs")}
