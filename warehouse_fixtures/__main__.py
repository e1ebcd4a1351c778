"""Command line: python -m warehouse_fixtures build DIR [--force]."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

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
        "when", help="print the time of the first event ACTION in DIR's timeline.json"
    )
    when.add_argument("dir", metavar="DIR", type=Path, help="a built warehouse")
    when.add_argument("action", metavar="ACTION", help="e.g. rename_column, rollback")
    when.add_argument("--table", help="only events of this table (e.g. lake.raw.events)")
    when.add_argument("--day", type=int, help="only events of this simulated day")
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
    for event in timeline.events:
        if (
            event.action == args.action
            and (args.table is None or event.table == args.table)
            and (args.day is None or event.day == args.day)
        ):
            at = datetime.fromisoformat(event.at.replace("Z", "+00:00"))
            shifted = at + timedelta(milliseconds=args.offset_ms)
            print(shifted.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
            return EXIT_OK
    print(f"{PROG}: error: no {args.action} event in {args.dir}/timeline.json", file=sys.stderr)
    return EXIT_FAILED


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
