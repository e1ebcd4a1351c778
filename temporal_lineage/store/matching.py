"""OpenLineage dataset -> stored table, in the order DESIGN.md gives.

1. a symlink identifier whose name is a table's identifier or full reference;
2. the dataset's namespace + name resolving to a table's storage location;
3. the namespace equal to a source name and the name equal to an identifier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Text, cast, select, update

from temporal_lineage import jsontext
from temporal_lineage.store import tables as t

SYMLINK = "symlink"
LOCATION = "location"
NAME = "source_name"


def normalise_location(location: str) -> str:
    """One spelling per place: no ``file:`` scheme, no trailing slash, ``s3a``/``s3n`` -> ``s3``.

    >>> normalise_location("file:///wh/raw/events/")
    '/wh/raw/events'
    >>> normalise_location("s3a://bucket/t")
    's3://bucket/t'
    """
    text = location.strip()
    if text.startswith("file://"):
        text = text[len("file://") :]
    elif text.startswith("file:"):
        text = text[len("file:") :]
    for scheme in ("s3a://", "s3n://"):
        if text.startswith(scheme):
            text = "s3://" + text[len(scheme) :]
    return text.rstrip("/") or "/"


def dataset_location(namespace: str, name: str) -> str | None:
    """Where an OpenLineage dataset lives, when its naming says so (file, s3, gs, abfss...).

    >>> dataset_location("file", "/data/users"), dataset_location("s3://b", "t/x")
    ('/data/users', 's3://b/t/x')
    """
    if namespace in ("file", "file://", "file:") or namespace.startswith("file:"):
        return normalise_location(name)
    if "://" in namespace:
        return normalise_location(namespace.rstrip("/") + "/" + name.lstrip("/"))
    return None


@dataclass(frozen=True)
class Match:
    """The table a dataset denotes and the rule that said so."""

    table_id: int
    rule: str


_MEMO_SIZE = 65_536
"""Datasets whose match a matcher remembers: a file of 100,000 events names a few thousand
datasets some 400,000 times (its column edges name both ends of each)."""


class DatasetMatcher:
    """Matches datasets against every stored table (one query to build; the tables it was
    built from never change under it, so each dataset's answer is remembered)."""

    def __init__(self, conn: Connection) -> None:
        self._by_identifier: dict[str, set[int]] = defaultdict(set)
        self._by_reference: dict[str, int] = {}
        self._by_location: dict[str, int] = {}
        self._memo: dict[tuple[str, str, tuple[tuple[str, str], ...]], Match | None] = {}
        rows = conn.execute(
            select(
                t.tables.c.id, t.tables.c.identifier, t.tables.c.location, t.sources.c.name
            ).join(t.sources, t.sources.c.id == t.tables.c.source_id)
        ).all()
        for row in rows:
            self._by_identifier[row.identifier].add(row.id)
            self._by_reference[f"{row.name}.{row.identifier}"] = row.id
            self._by_location[normalise_location(row.location)] = row.id
        for table_id, location in conn.execute(
            select(t.incarnations.c.table_id, t.incarnations.c.location)
        ):
            self._by_location.setdefault(normalise_location(location), table_id)

    def match(
        self, namespace: str, name: str, symlinks: Iterable[Sequence[str]] = ()
    ) -> Match | None:
        """The table this dataset denotes, or None (it stays a lineage node of its own)."""
        links = tuple((str(link[0]), str(link[1])) for link in symlinks)
        key = (namespace, name, links)
        if key in self._memo:
            return self._memo[key]
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        found = self._memo[key] = self._match(namespace, name, links)
        return found

    def _match(self, namespace: str, name: str, links: tuple[tuple[str, str], ...]) -> Match | None:
        for link_namespace, link_name in links:
            if link_name in self._by_reference:
                return Match(self._by_reference[link_name], SYMLINK)
            reference = f"{link_namespace}.{link_name}"
            if reference in self._by_reference:
                return Match(self._by_reference[reference], SYMLINK)
            candidates = self._by_identifier.get(link_name, set())
            if len(candidates) == 1:
                return Match(next(iter(candidates)), SYMLINK)
        location = dataset_location(namespace, name)
        if location is not None and location in self._by_location:
            return Match(self._by_location[location], LOCATION)
        reference = f"{namespace}.{name}"
        if reference in self._by_reference:
            return Match(self._by_reference[reference], NAME)
        return None

    def match_identifier(self, identifier: str, *qualified: str) -> Match | None:
        """The table a catalog identifier (``db.table``) names: a ``qualified`` name that is
        a full reference (``source.db.table``, e.g. a REST prefix joined to it, or a scan
        report's table name) first, else the one table with that identifier."""
        for name in qualified:
            if name in self._by_reference:
                return Match(self._by_reference[name], NAME)
        candidates = self._by_identifier.get(identifier, set())
        if len(candidates) == 1:
            return Match(next(iter(candidates)), NAME)
        return None


def rematch(conn: Connection, now: datetime) -> int:
    """Match datasets seen before their table was known; returns how many rows matched."""
    # JSON has no equality on PostgreSQL: compare the symlinks as text.
    symlinks = cast(t.run_datasets.c.symlinks, Text).label("symlinks")
    unmatched = conn.execute(
        select(t.run_datasets.c.namespace, t.run_datasets.c.name, symlinks)
        .where(t.run_datasets.c.table_id.is_(None))
        .distinct()
    ).all()
    if not unmatched:
        return 0
    matcher = DatasetMatcher(conn)
    done = 0
    for row in unmatched:
        found = matcher.match(row.namespace, row.name, _symlinks(jsontext.loads(row.symlinks)))
        if found is None:
            continue
        done += conn.execute(
            update(t.run_datasets)
            .where(
                t.run_datasets.c.table_id.is_(None),
                t.run_datasets.c.namespace == row.namespace,
                t.run_datasets.c.name == row.name,
            )
            .values(table_id=found.table_id, matched_at=now, matched_by=found.rule)
        ).rowcount
    return done


def _symlinks(value: Any) -> list[Sequence[str]]:
    return [
        tuple(item) for item in value or [] if isinstance(item, list | tuple) and len(item) >= 2
    ]


def rematch_columns(conn: Connection, now: datetime) -> int:
    """Match what names datasets seen before their tables were known: the two ends of column
    edges, and the datasets of tag, owner and data-quality facts."""
    edges = t.column_edges.c
    named = [
        (t.column_edges, edges.input_namespace, edges.input_name, edges.input_table_id),
        (t.column_edges, edges.output_namespace, edges.output_name, edges.output_table_id),
        *(
            (table, table.c.namespace, table.c.name, table.c.table_id)
            for table in (t.tag_facts, t.owner_facts, t.quality_facts)
        ),
    ]
    matcher: DatasetMatcher | None = None
    done = 0
    for table, namespace, name, table_id in named:
        condition: list[ColumnElement[bool]] = [table_id.is_(None), namespace.is_not(None)]
        if "target" in table.c:
            condition.append(table.c.target == "dataset")
        pending = conn.execute(select(namespace, name).where(*condition).distinct()).all()
        if pending and matcher is None:
            matcher = DatasetMatcher(conn)
        for row_namespace, row_name in pending:
            assert matcher is not None
            links = conn.execute(
                select(cast(t.run_datasets.c.symlinks, Text))
                .where(
                    t.run_datasets.c.namespace == row_namespace,
                    t.run_datasets.c.name == row_name,
                )
                .limit(1)
            ).scalar()
            found = matcher.match(
                row_namespace, row_name, _symlinks(jsontext.loads(links)) if links else []
            )
            if found is None:
                continue
            done += conn.execute(
                update(table)
                .where(*condition, namespace == row_namespace, name == row_name)
                .values({table_id.name: found.table_id, "matched_at": now})
            ).rowcount
    return done + rematch_scan_reports(conn, now)


def rematch_scan_reports(conn: Connection, now: datetime) -> int:
    """Match Iceberg scan and commit reports that arrived before their table was synced (by
    the identifier namespace.table)."""
    reports = t.scan_reports.c
    pending = conn.execute(
        select(reports.namespace, reports.name).where(reports.table_id.is_(None)).distinct()
    ).all()
    if not pending:
        return 0
    matcher = DatasetMatcher(conn)
    done = 0
    for namespace, name in pending:
        found = matcher.match_identifier(f"{namespace}.{name}")
        if found is None:
            continue
        done += conn.execute(
            update(t.scan_reports)
            .where(reports.table_id.is_(None), reports.namespace == namespace, reports.name == name)
            .values(table_id=found.table_id, matched_at=now)
        ).rowcount
    return done
