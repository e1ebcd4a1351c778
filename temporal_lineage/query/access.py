"""``access TABLE``: who read a table in a window, at which snapshot, which columns.

A read is either a run that named the table among its inputs (OpenLineage) or an Iceberg
scan report received through the REST metrics endpoint. For a run read:

- ``at`` is when the run started (its earliest state event; else its earliest event naming
  the input);
- ``snapshot`` is the one its events pin (``icebergScanReport`` or a numeric ``version``
  facet), else the table's head at ``at``;
- ``columns`` are the ``icebergScanReport`` projected fields, else the table's columns the
  run's column lineage took, else unknown (None);
- ``principal`` is the user its facets name (Spark ``spark_applicationDetails.userName``,
  Trino ``trino_query_context.user``), else the job's owner, else the engine.

``column`` keeps the reads whose columns include it, compared by field id where the table
has ids (a read of ``email`` before its rename to ``mail`` is a read of ``mail``). Reads whose
columns are unknown are not kept by a column filter. Facts recorded after ``known_at`` are
not seen.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.errors import ColumnNotFound
from temporal_lineage.model import TableRef
from temporal_lineage.store import Store, StoredTable, StoreReader
from temporal_lineage.store.access_reads import InputRead, RunPrincipal, ScanRead
from temporal_lineage.store.governance_reads import FieldSighting
from temporal_lineage.times import now

OPENLINEAGE = "openlineage input"
SCAN_REPORT = "rest scan-report"
_KIND_RANK = {"user": 0, "owner": 1, "engine": 2}


@dataclass(frozen=True)
class Read:
    """One read of a table: when, by which run and job, as whom, of what."""

    at: datetime
    run: str | None
    job: str | None
    principal: str | None
    snapshot: int | None
    columns: tuple[str, ...] | None
    evidence: str
    field_ids: tuple[int, ...] | None = None
    """The columns' field ids where known (what ``column`` compares)."""


def access(
    store: Store,
    table: TableRef,
    *,
    start: datetime | None,
    end: datetime | None,
    column: str | None = None,
    known_at: datetime | None = None,
) -> list[Read]:
    """The reads of ``table`` in [start, end] (open ends: unbounded), oldest first.

    Raises:
        TableNotFound: the store has never seen the table.
        ColumnNotFound: ``column`` was never a column of the table (by ``end``).
    """
    with store.reader() as reader:
        stored = reader.get_table(table)
        sightings = reader.field_sightings([stored], end or now(), known_at)
        names = _Names(sightings)
        wanted = names.ids_named(column) if column is not None else None
        if column is not None and not names.has(column):
            raise ColumnNotFound(f"{table} never had a column {column!r}")
        inputs = reader.input_reads([stored], start, end, known_at)
        reads = _run_reads(reader, stored, inputs, names, known_at)
        reads += [_scan_read(r, names) for r in reader.scan_reads([stored], start, end, known_at)]
    if column is not None:
        reads = [r for r in reads if _includes(r, column, wanted)]
    reads.sort(key=lambda r: (r.at, r.run or "", r.evidence))
    return reads


def reads_in_window(
    store: Store, *, start: datetime, end: datetime, known_at: datetime | None = None
) -> dict[int, datetime]:
    """The last read in [start, end] of every table read then, by table id (whole store)."""
    with store.reader() as reader:
        return reader.last_reads(start, end, known_at)


class _Names:
    """A table's column names over time -> field ids (the schema current at a read)."""

    def __init__(self, sightings: Sequence[FieldSighting]) -> None:
        self._by_name: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for s in sorted(sightings, key=lambda s: s.effective_at):
            if s.field_id is not None:
                self._by_name[".".join(s.path)].append((s.effective_at, s.field_id))
        self._names = {".".join(s.path) for s in sightings}

    def has(self, name: str) -> bool:
        return name in self._names

    def ids_named(self, name: str) -> set[int]:
        """Every field id that was ever called ``name``."""
        return {field_id for _, field_id in self._by_name.get(name, [])}

    def ids_at(self, names: Collection[str], at: datetime) -> tuple[int, ...] | None:
        """The ids of ``names`` in the schema current at ``at`` (None: some have no id)."""
        found: list[int] = []
        for name in names:
            seen = self._by_name.get(name)
            if not seen:
                return None
            index = bisect_right([when for when, _ in seen], at) - 1
            found.append(seen[max(index, 0)][1])
        return tuple(found)


def _includes(read: Read, column: str, wanted: set[int] | None) -> bool:
    if read.columns is None:
        return False
    if wanted and read.field_ids is not None:
        return bool(wanted.intersection(read.field_ids))
    return column in read.columns


def _principal(found: Sequence[RunPrincipal]) -> RunPrincipal | None:
    ranked = sorted(found, key=lambda p: _KIND_RANK.get(p.kind, 9))
    return ranked[0] if ranked else None


def _run_reads(
    reader: StoreReader,
    table: StoredTable,
    inputs: Sequence[InputRead],
    names: _Names,
    known_at: datetime | None,
) -> list[Read]:
    if not inputs:
        return []
    principals = reader.run_principals([r.run_id for r in inputs], known_at)
    unprojected = [r.run_id for r in inputs if r.projected_names is None]
    lineage = reader.column_inputs(table, unprojected, known_at) if unprojected else {}
    unpinned = [r for r in inputs if r.snapshot_id is None]
    heads = reader.heads_as_of([(table, r.at) for r in unpinned], known_at)
    head_of = {
        r.run_id: h.snapshot.snapshot_id if h else None
        for r, h in zip(unpinned, heads, strict=True)
    }
    reads: list[Read] = []
    for r in inputs:
        evidence = [OPENLINEAGE]
        snapshot: int | None
        if r.snapshot_id is not None:
            snapshot = r.snapshot_id
            evidence.append(f"snapshot from {r.pinned_by}")
        else:
            snapshot = head_of.get(r.run_id)
            evidence.append("snapshot: head at the read" if snapshot else "snapshot unknown")
        columns: tuple[str, ...] | None
        ids: tuple[int, ...] | None
        if r.projected_names is not None:
            columns = r.projected_names
            ids = r.projected_ids or names.ids_at(columns, r.at)
            evidence.append("columns from icebergScanReport")
        elif lineage.get(r.run_id):
            columns = tuple(sorted(lineage[r.run_id]))
            ids = names.ids_at(columns, r.at)
            evidence.append("columns from column lineage")
        else:
            columns = ids = None
        who = _principal(principals.get(r.run_id, ()))
        if who is not None:
            evidence.append(f"principal from {who.source}")
        reads.append(
            Read(
                at=r.at,
                run=r.run_id,
                job=str(r.job),
                principal=who.principal if who else None,
                snapshot=snapshot,
                columns=columns,
                evidence="; ".join(evidence),
                field_ids=ids,
            )
        )
    return reads


def _scan_read(report: ScanRead, names: _Names) -> Read:
    columns = report.field_names or None
    ids = report.field_ids or (names.ids_at(columns, report.at) if columns else None)
    return Read(
        at=report.at,
        run=None,
        job=None,
        principal=report.principal,
        snapshot=report.snapshot_id,
        columns=columns,
        evidence=f"{SCAN_REPORT} {report.report_id}",
        field_ids=ids,
    )
