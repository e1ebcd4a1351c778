"""Provenance of a table as of a time: the snapshot-level closure of what produced it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.commit_effects import commit_effect
from temporal_lineage.model import (
    MAIN,
    Evidence,
    EvidenceKind,
    NodeRef,
    RunInfo,
    StoredSnapshot,
    TableRef,
)
from temporal_lineage.query.links import InputLink, Producer, producers_of, run_inputs
from temporal_lineage.query.refs import snapshot_of_ref
from temporal_lineage.store import Store, StoredTable, StoreReader


@dataclass(frozen=True)
class ProvenanceNode:
    """A table at a snapshot, with the run that produced it (when known) and why."""

    node: NodeRef
    table: StoredTable | None
    snapshot: StoredSnapshot | None
    run_id: str | None
    run: RunInfo | None
    evidence: tuple[Evidence, ...]
    maintenance_run: str | None = None
    """The run of a data-preserving commit (compaction, restore): shown, never the producer."""


@dataclass(frozen=True)
class ProvenanceEdge:
    """Run ``run_id`` read ``source`` at ``source_snapshot`` and wrote ``target``.

    A data-preserving commit is an edge from the snapshot whose data it keeps to itself,
    within one table, with ``data_unchanged`` / ``restored`` / ``published`` evidence (and its
    maintenance run, if one is known).
    """

    source: NodeRef
    source_snapshot: int | None
    target: NodeRef
    target_snapshot: int | None
    run_id: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Provenance:
    """The closure: every snapshot that went into the root's snapshot at ``as_of``."""

    root: TableRef
    as_of: datetime
    known_at: datetime | None
    nodes: tuple[ProvenanceNode, ...]
    edges: tuple[ProvenanceEdge, ...]
    ref: str = MAIN
    """The branch or tag of the root the closure starts from."""


def provenance(
    store: Store,
    ref: TableRef,
    as_of: datetime,
    *,
    known_at: datetime | None = None,
    max_depth: int = 100,
    ref_name: str = MAIN,
) -> Provenance:
    """T's head at ``as_of``, the run that produced it, the input snapshots it read, recursively.

    ``ref_name`` starts from what that branch or tag of T pointed at instead of the head.

    Raises:
        TableNotFound: the store has never seen ``ref``.
        RefNotFound: T never had a ref ``ref_name``.
    """
    with store.reader() as reader:
        root = reader.get_table(ref)
        head = snapshot_of_ref(reader, root, ref_name, as_of, known_at)
        if head is None:
            return Provenance(ref, as_of, known_at, (), (), ref_name)

        def load(level: Sequence[tuple[StoredTable, StoredSnapshot]], deeper: bool) -> LevelReads:
            return LevelReads.load(reader, level, known_at, deeper=deeper)

        nodes, edges = closure(root, head, load, max_depth)
    return Provenance(ref, as_of, known_at, nodes, edges, ref_name)


LevelLoader = Callable[[Sequence[tuple[StoredTable, StoredSnapshot]], bool], "LevelReads"]
"""What one level of the closure needs (``deeper``: its inputs will be followed)."""


def closure(
    root: StoredTable, head: StoredSnapshot, load: LevelLoader, max_depth: int
) -> tuple[tuple[ProvenanceNode, ...], tuple[ProvenanceEdge, ...]]:
    """The snapshot closure of ``root`` at ``head``, breadth first, one level at a time.

    Pure over ``load``: the store is read by the loader (``LevelReads.load``), so the walk
    runs as well on hand-built levels (tests/query/test_provenance_closure.py).
    """
    nodes = {
        _key(NodeRef(root.ref), head): ProvenanceNode(NodeRef(root.ref), root, head, None, None, ())
    }
    edges: list[ProvenanceEdge] = []
    level: list[tuple[StoredTable, StoredSnapshot]] = [(root, head)]
    depth = 0
    while level:
        reads = load(level, depth < max_depth)
        following: list[tuple[StoredTable, StoredSnapshot]] = []
        for table, snap in level:
            _visit(table, snap, reads, depth < max_depth, nodes, edges, following)
        level, depth = following, depth + 1
    return tuple(nodes.values()), tuple(edges)


def _visit(
    table: StoredTable,
    snap: StoredSnapshot,
    reads: LevelReads,
    deeper: bool,
    nodes: dict[tuple[str, str | None, int | None], ProvenanceNode],
    edges: list[ProvenanceEdge],
    following: list[tuple[StoredTable, StoredSnapshot]],
) -> None:
    """One node of a level: its producer (or the data it keeps), its inputs queued."""
    node = NodeRef(table.ref)
    produced = reads.producer(table, snap)
    kept = reads.kept.get(_key(node, snap))
    if kept is not None and deeper:
        keepers, evidence = kept
        maintenance = produced.run_id if produced is not None else None
        nodes[_key(node, snap)] = ProvenanceNode(
            node, table, snap, None, None, evidence, maintenance
        )
        for keeper in keepers:
            edges.append(
                ProvenanceEdge(
                    node,
                    keeper.snapshot.snapshot_id,
                    node,
                    snap.snapshot.snapshot_id,
                    maintenance,
                    evidence,
                )
            )
            if _key(node, keeper) not in nodes:
                nodes[_key(node, keeper)] = ProvenanceNode(node, table, keeper, None, None, ())
                following.append((table, keeper))
        return
    if produced is None:
        return
    run = reads.runs.get(produced.run_id)
    nodes[_key(node, snap)] = ProvenanceNode(
        node, table, snap, produced.run_id, run, produced.evidence
    )
    if run is None or not deeper:
        return
    for link in reads.inputs[run.run_id]:
        edges.append(_edge(link, node, snap, run.run_id))
        key = _key(link.node, link.snapshot)
        if key in nodes:
            continue
        nodes[key] = ProvenanceNode(link.node, link.table, link.snapshot, None, None, ())
        if link.table is not None and link.snapshot is not None:
            following.append((link.table, link.snapshot))


Kept = tuple[list[StoredSnapshot], tuple[Evidence, ...]]
"""The snapshots whose data a data-preserving commit keeps, and the evidence why."""


@dataclass(frozen=True)
class LevelReads:
    """What one level of the closure needs from the store, read in batches."""

    producers: dict[tuple[int, int], Producer]
    """(table id, snapshot id) -> the run that produced it."""
    kept: dict[tuple[str, str | None, int | None], Kept]
    runs: dict[str, RunInfo]
    inputs: dict[str, list[InputLink]]

    @classmethod
    def load(
        cls,
        reader: StoreReader,
        level: Sequence[tuple[StoredTable, StoredSnapshot]],
        known_at: datetime | None,
        *,
        deeper: bool,
    ) -> LevelReads:
        by_table: dict[int, tuple[StoredTable, list[StoredSnapshot]]] = {}
        for table, snap in level:
            by_table.setdefault(table.table_id, (table, []))[1].append(snap)
        found = producers_of(reader, list(by_table.values()), known_at)
        kept: dict[tuple[str, str | None, int | None], Kept] = {}
        if deeper:
            for table, snap in level:
                preserved = preserved_data(reader, table, snap, known_at)
                if preserved is not None:
                    kept[_key(NodeRef(table.ref), snap)] = preserved
        wanted = {
            found[(table.table_id, snap.snapshot.snapshot_id)].run_id
            for table, snap in level
            if (table.table_id, snap.snapshot.snapshot_id) in found
            and _key(NodeRef(table.ref), snap) not in kept
        }
        runs = reader.run_infos(wanted, known_at) if wanted else {}
        inputs = run_inputs(reader, runs, known_at) if deeper and runs else {}
        return cls(found, kept, runs, inputs)

    def producer(self, table: StoredTable, snap: StoredSnapshot) -> Producer | None:
        return self.producers.get((table.table_id, snap.snapshot.snapshot_id))


def preserved_data(
    reader: StoreReader, table: StoredTable, snap: StoredSnapshot, known_at: datetime | None
) -> Kept | None:
    """The snapshots whose data ``snap`` keeps, when it is a data-preserving commit.

    Its parent for a commit that kept every row; the restored version for a Delta RESTORE;
    for a cherry-pick the staged snapshot it published (and its own parent, when main had
    moved on since the staged one was written). All of the same incarnation. None for a
    commit that made new data, or when the kept snapshot is not in the store.
    """
    commit = snap.snapshot
    effect = commit_effect(commit.operation, commit.summary)
    if not effect.preserves_data:
        return None
    if effect.restores is not None:
        target, kind = effect.restores, EvidenceKind.RESTORED
        detail = f"RESTORE of version {target}: the data is that version's"
    elif effect.publishes is not None:
        target, kind = effect.publishes, EvidenceKind.PUBLISHED
        wap = commit.summary.get("published-wap-id")
        named = f" (published-wap-id {wap})" if wap else ""
        detail = f"cherry-pick of staged snapshot {target}{named}: the new data is its"
    elif commit.parent_id is not None:
        target, kind = commit.parent_id, EvidenceKind.DATA_UNCHANGED
        detail = (
            f"{commit.operation or 'the commit'} changed no rows: the data is snapshot {target}'s"
        )
    else:
        return None
    kept = reader.find_snapshot(table, target, known_at, incarnation=snap.incarnation)
    if kept is None or kept.snapshot.snapshot_id == commit.snapshot_id:
        return None
    keepers = [kept]
    moved_on = kind is EvidenceKind.PUBLISHED and commit.parent_id not in (
        None,
        kept.snapshot.parent_id,
    )
    if moved_on and commit.parent_id is not None:
        parent = reader.find_snapshot(
            table, commit.parent_id, known_at, incarnation=snap.incarnation
        )
        if parent is not None:
            keepers.append(parent)
    return keepers, (Evidence(kind, detail),)


def _key(node: NodeRef, snap: StoredSnapshot | None) -> tuple[str, str | None, int | None]:
    if snap is None:
        return (str(node), None, None)
    return (str(node), snap.incarnation, snap.snapshot.snapshot_id)


def _edge(link: InputLink, target: NodeRef, snap: StoredSnapshot, run_id: str) -> ProvenanceEdge:
    return ProvenanceEdge(
        source=link.node,
        source_snapshot=link.snapshot.snapshot.snapshot_id if link.snapshot else None,
        target=target,
        target_snapshot=snap.snapshot.snapshot_id,
        run_id=run_id,
        evidence=link.evidence,
    )
