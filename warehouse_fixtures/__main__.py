"""Command line: python -m warehouse_fixtures build DIR [--force]."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from warehouse_fixtures.timeline import EventRecord, Timeline

PROG = "python -m warehouse_fixtures"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that reports usage errors on one line."""

    def error(self, message: str) -> NoReturn:
        """Print a one-line usage error and exit with status 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = _Parser(prog=PROG, description="Build a small real Iceberg + Delta warehouse.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    build = commands.add_parser(
        "build", help="build the warehouse, lineage.yaml and timeline.json into DIR"
    )
    build.add_argument("dir", metavar="DIR", type=Path, help="target directory (empty or new)")
    build.add_argument("--force", action="store_true", help="wipe DIR first if it is not empty")
    when = commands.add_parser(
        "when",
        help="print the time of the first event ACTION in DIR's timeline.json, or of the "
        "first propagation status ACTION (pending, broken, adopted) of a schema change",
    )
    when.add_argument("dir", metavar="DIR", type=Path, help="a built warehouse")
    when.add_argument(
        "action", metavar="ACTION", help="e.g. rename_column, rollback; or pending, broken, adopted"
    )
    when.add_argument(
        "--table", help="only events of (or changes to) this table (e.g. lake.raw.events)"
    )
    when.add_argument("--day", type=int, help="only events (or changes) of this simulated day")
    when.add_argument(
        "--offset-ms", type=int, default=0, help="add this many milliseconds (e.g. -1)"
    )
    return parser


def _when(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from warehouse_fixtures.timeline import load_timeline

    try:
        timeline = load_timeline(args.dir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"{PROG}: error: cannot read {args.dir}/timeline.json: {exc}", file=sys.stderr)
        return EXIT_FAILED
    found = _first_time(timeline, args.action, args.table, args.day)
    if found is None:
        kind = "status" if args.action in ("pending", "broken", "adopted") else "event"
        print(
            f"{PROG}: error: no {args.action} {kind} in {args.dir}/timeline.json", file=sys.stderr
        )
        return EXIT_FAILED
    at = datetime.fromisoformat(found.replace("Z", "+00:00"))
    shifted = at + timedelta(milliseconds=args.offset_ms)
    print(shifted.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    return EXIT_OK


def _first_time(timeline: Timeline, action: str, table: str | None, day: int | None) -> str | None:
    """The first event ACTION, or the first propagation status ACTION of a change."""
    from warehouse_fixtures.propagation_records import STATUSES

    def wanted(event: EventRecord) -> bool:
        return (table is None or event.table == table) and (day is None or event.day == day)

    if action not in STATUSES:
        return next((e.at for e in timeline.events if e.action == action and wanted(e)), None)
    days = {(e.table, e.at): e for e in timeline.events}
    for change in timeline.propagation:
        event = days.get((change.table, change.effective_at))
        if event is None or not wanted(event):
            continue
        times = [s.as_of for d in change.downstream for s in d.statuses if s.status == action]
        if times:
            return min(times)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = make_parser().parse_args(argv)
    if args.command == "when":
        return _when(args)
    from warehouse_fixtures.build import WarehouseDirectoryError, build_warehouse

    started = time.monotonic()
    try:
        timeline = build_warehouse(args.dir, force=args.force)
    except WarehouseDirectoryError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # report any build failure on one line
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(f"{PROG}: error: build failed: {type(exc).__name__}: {first_line}", file=sys.stderr)
        return EXIT_FAILED
    snapshots = sum(len(t.snapshots) for t in timeline.tables.values())
    print(
        f"built {timeline.root} in {time.monotonic() - started:.1f}s: "
        f"{len(timeline.tables)} tables, {snapshots} snapshots, {len(timeline.events)} events, "
        f"{len(timeline.runs)} job runs"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
