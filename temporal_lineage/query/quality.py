"""Data quality as of a time: the results attached to the snapshots they describe, and the
snapshots made suspect by a failed upstream result, through exact provenance.

Where a result attaches (``attach``):

- a result about a run's **input** describes the snapshot that run read: the snapshot the
  event pins, else the input's head when the run started (the rule of ``links.run_inputs``);
- a result about an **output** describes the snapshot(s) that run produced (the producing
  links of the provenance closure, by the evidence rules of ``links``), or the snapshot the
  event pins;
- a run-level ``test`` result describes what the run produced, else (a test-only run, such
  as ``dbt test``) what it read.

A snapshot with a failed result (``success`` false) taints everything produced from it: as
of A, a snapshot is **suspect** when a snapshot in its provenance closure as of A (not
itself) has a failed result stated by A; ``because`` names each such result with the
provenance path from the failed snapshot down to the asked one. With ``known_at`` K only
facts recorded by K count, so an answer known at K never changes later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporal_lineage.model import (
    Evidence,
    EvidenceKind,
    NodeRef,
    StoredSnapshot,
    TableRef,
)
from temporal_lineage.query.links import InputLink, run_inputs
from temporal_lineage.query.provenance import Provenance, ProvenanceEdge, provenance
from temporal_lineage.store import Store, StoredTable, StoreReader
from temporal_lineage.store.quality_reads import QualityFact
from temporal_lineage.times import format_time

SnapshotKey = tuple[str, int]
"""(table reference as text, snapshot id): a node of the snapshot graph."""


@dataclass(frozen=True)
class QualityCheck:
    """One data-quality result, attached to the snapshot it describes."""

    check: str
    kind: str
    """``assertion``, ``metric`` or ``test``."""
    column: str | None
    success: bool | None
    value: Any
    run_id: str
    direction: str
    """``input``, ``output`` or ``run``: where the event stated it."""
    table: TableRef
    snapshot: int
    at: datetime
    """The event time of the result."""
    evidence: tuple[Evidence, ...]
    """Why the result describes this snapshot."""

    @property
    def failed(self) -> bool:
        """The result found issues."""
        return self.success is False


@dataclass(frozen=True)
class PathStep:
    """Run ``run_id`` read ``from_table`` at ``from_snapshot`` and produced ``to_snapshot``."""

    from_table: NodeRef
    from_snapshot: int | None
    to_table: NodeRef
    to_snapshot: int | None
    run_id: str | None


@dataclass(frozen=True)
class Suspicion:
    """A failed result upstream, and the provenance path from its snapshot to the asked one."""

    check: QualityCheck
    path: tuple[PathStep, ...]


@dataclass(frozen=True)
class QualityReport:
    """The answer of ``quality TABLE --as-of A``."""

    table: TableRef
    as_of: datetime
    known_at: datetime | None
    snapshot: StoredSnapshot | None
    """The table's head at ``as_of`` (None before its first commit)."""
    results: tuple[QualityCheck, ...]
    """The results attached to that snapshot, oldest first."""
    because: tuple[Suspicion, ...]

    @property
    def suspect(self) -> bool:
        """Produced, through provenance, from a snapshot with a failed result."""
        return bool(self.because)

    @property
    def failed(self) -> bool:
        """One of the snapshot's own results failed."""
        return any(r.failed for r in self.results)


def quality(
    store: Store, table: TableRef, *, as_of: datetime, known_at: datetime | None = None
) -> QualityReport:
    """The quality of ``table``'s head as of ``as_of``: its own results and why it is suspect.

    Raises:
        TableNotFound: the store has never seen ``table``.
    """
    graph = provenance(store, table, as_of, known_at=known_at)
    with store.reader() as reader:
        root = next((n for n in graph.nodes if n.node.table == table), None)
        if root is None or root.snapshot is None:
            return QualityReport(table, as_of, known_at, None, (), ())
        attached = attach(reader, graph, as_of, known_at)
    head = _key(NodeRef(table), root.snapshot.snapshot.snapshot_id)
    return QualityReport(
        table,
        as_of,
        known_at,
        root.snapshot,
        tuple(attached.get(head, [])),
        tuple(suspicions(graph.edges, head, attached)),
    )


def _key(node: NodeRef, snapshot_id: int) -> SnapshotKey:
    return (str(node), snapshot_id)


def attach(
    reader: StoreReader, graph: Provenance, as_of: datetime, known_at: datetime | None
) -> dict[SnapshotKey, list[QualityCheck]]:
    """The results stated by ``as_of`` about the snapshots of a provenance closure, by
    snapshot (see the module docstring for where each attaches)."""
    closure: dict[SnapshotKey, StoredSnapshot] = {}
    produced_by: dict[str, list[tuple[StoredTable, StoredSnapshot, tuple[Evidence, ...]]]] = {}
    tables: dict[int, StoredTable] = {}
    earliest: dict[int, datetime] = {}
    for node in graph.nodes:
        if node.table is None or node.snapshot is None:
            continue
        table_id = node.table.table_id
        tables[table_id] = node.table
        committed = node.snapshot.snapshot.committed_at
        earliest[table_id] = min(earliest.get(table_id, committed), committed)
        closure[_key(node.node, node.snapshot.snapshot.snapshot_id)] = node.snapshot
        if node.run_id is not None:
            produced_by.setdefault(node.run_id, []).append(
                (node.table, node.snapshot, node.evidence)
            )
    if not tables:
        return {}
    stated = reader.quality_facts(list(tables.values()), since=None, until=as_of, known_at=known_at)
    # A result stated before a table's oldest snapshot in the closure cannot describe one.
    facts = [f for f in stated if f.table is None or f.event_time >= earliest[f.table.table_id]]
    read = _heads_read(reader, [f for f in facts if f.direction == "input"], known_at)
    testers = {f.run_id for f in facts if f.direction == "run" and f.run_id not in produced_by}
    runs = reader.run_infos(testers, known_at) if testers else {}
    inputs = run_inputs(reader, runs, known_at) if runs else {}
    found: dict[SnapshotKey, dict[tuple[Any, ...], QualityCheck]] = {}
    for fact in facts:
        for table, snap, evidence in _described(fact, produced_by, closure, read, inputs):
            key = _key(NodeRef(table.ref), snap.snapshot.snapshot_id)
            kept = closure.get(key)
            if kept is None or kept.incarnation != snap.incarnation:
                continue
            check = _check(fact, table, snap, evidence)
            # A run that states a result on its START and COMPLETE events states it once.
            same = (check.run_id, check.direction, check.kind, check.check, check.column)
            found.setdefault(key, {})[(*same, check.success, repr(check.value))] = check
    return {key: list(checks.values()) for key, checks in found.items()}


def _heads_read(
    reader: StoreReader, facts: Sequence[QualityFact], known_at: datetime | None
) -> dict[int, tuple[StoredSnapshot, datetime]]:
    """For input results that pin no snapshot: the input's head when the run started (and
    that start), by fact id; one statement for the starts and one batch for the heads."""
    unpinned = [f for f in facts if f.snapshot_id is None and f.table is not None]
    if not unpinned:
        return {}
    starts = reader.run_starts({f.run_id for f in unpinned}, known_at)
    wanted = [(f, starts[f.run_id]) for f in unpinned if f.run_id in starts]
    heads = reader.heads_as_of([(f.table, at) for f, at in wanted if f.table], known_at)
    return {
        fact.fact_id: (snap, at)
        for (fact, at), snap in zip(wanted, heads, strict=True)
        if snap is not None
    }


def _described(
    fact: QualityFact,
    produced_by: Mapping[str, Sequence[tuple[StoredTable, StoredSnapshot, tuple[Evidence, ...]]]],
    closure: Mapping[SnapshotKey, StoredSnapshot],
    read: Mapping[int, tuple[StoredSnapshot, datetime]],
    inputs: Mapping[str, Sequence[InputLink]],
) -> Iterable[tuple[StoredTable, StoredSnapshot, tuple[Evidence, ...]]]:
    """The snapshots one result describes, with why."""
    produced = produced_by.get(fact.run_id, [])
    if fact.direction in ("output", "run") and produced:
        for table, snap, why in produced:
            if fact.table is None or fact.table.table_id == table.table_id:
                detail = f"run {fact.run_id} produced snapshot {snap.snapshot.snapshot_id}"
                yield table, snap, (Evidence(EvidenceKind.RUN_EVENT, detail), *why)
        return
    if fact.direction == "input" and fact.table is not None:
        yield from _input_described(fact, fact.table, closure, read)
        return
    for link in inputs.get(fact.run_id, []) if fact.direction == "run" else []:
        if link.table is None or link.snapshot is None:
            continue
        detail = f"run {fact.run_id} read snapshot {link.snapshot.snapshot.snapshot_id}"
        yield link.table, link.snapshot, (Evidence(EvidenceKind.RUN_EVENT, detail), *link.evidence)


def _input_described(
    fact: QualityFact,
    table: StoredTable,
    closure: Mapping[SnapshotKey, StoredSnapshot],
    read: Mapping[int, tuple[StoredSnapshot, datetime]],
) -> Iterable[tuple[StoredTable, StoredSnapshot, tuple[Evidence, ...]]]:
    """The snapshot an input result describes: the one its event pins, else the head then."""
    said = f"run {fact.run_id} read snapshot"
    if fact.snapshot_id is not None:
        pinned = closure.get(_key(NodeRef(table.ref), fact.snapshot_id))
        if pinned is not None:
            detail = f"the run's input names snapshot {fact.snapshot_id}"
            yield (
                table,
                pinned,
                (
                    Evidence(EvidenceKind.RUN_EVENT, f"{said} {fact.snapshot_id}"),
                    Evidence(EvidenceKind.DATASET_VERSION, detail),
                ),
            )
        return
    if fact.fact_id in read:
        snap, started = read[fact.fact_id]
        detail = f"no version reported: the input's head at run start {format_time(started)}"
        yield (
            table,
            snap,
            (
                Evidence(EvidenceKind.RUN_EVENT, f"{said} {snap.snapshot.snapshot_id}"),
                Evidence(EvidenceKind.INFERRED, detail),
            ),
        )


def _check(
    fact: QualityFact, table: StoredTable, snap: StoredSnapshot, evidence: tuple[Evidence, ...]
) -> QualityCheck:
    return QualityCheck(
        check=fact.check,
        kind=fact.kind,
        column=fact.column,
        success=fact.success,
        value=fact.value,
        run_id=fact.run_id,
        direction=fact.direction,
        table=table.ref,
        snapshot=snap.snapshot.snapshot_id,
        at=fact.event_time,
        evidence=evidence,
    )


def suspicions(
    edges: Sequence[ProvenanceEdge],
    root: SnapshotKey,
    attached: Mapping[SnapshotKey, Sequence[QualityCheck]],
) -> list[Suspicion]:
    """Every failed result upstream of ``root`` in the snapshot graph, each with the shortest
    provenance path from its snapshot down to ``root`` (breadth first)."""
    into: dict[SnapshotKey, list[ProvenanceEdge]] = {}
    for edge in edges:
        if edge.source_snapshot is None or edge.target_snapshot is None:
            continue
        into.setdefault(_key(edge.target, edge.target_snapshot), []).append(edge)
    came_by: dict[SnapshotKey, ProvenanceEdge | None] = {root: None}
    queue = deque([root])
    found: list[Suspicion] = []
    while queue:
        here = queue.popleft()
        if here != root:
            failed = [c for c in attached.get(here, []) if c.failed]
            if failed:
                path = _path(here, came_by)
                found.extend(Suspicion(check, path) for check in failed)
        for edge in into.get(here, []):
            assert edge.source_snapshot is not None
            there = _key(edge.source, edge.source_snapshot)
            if there not in came_by:
                came_by[there] = edge
                queue.append(there)
    return found


def _path(
    start: SnapshotKey, came_by: Mapping[SnapshotKey, ProvenanceEdge | None]
) -> tuple[PathStep, ...]:
    """The edges from ``start`` down to the root, in that order."""
    steps: list[PathStep] = []
    edge = came_by[start]
    while edge is not None:
        steps.append(
            PathStep(
                edge.source, edge.source_snapshot, edge.target, edge.target_snapshot, edge.run_id
            )
        )
        assert edge.target_snapshot is not None
        edge = came_by[_key(edge.target, edge.target_snapshot)]
    return tuple(steps)
