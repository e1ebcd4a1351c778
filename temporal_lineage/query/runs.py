"""One run as known at a time: its job, state, code, what it read and what it wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.errors import RunNotFound
from temporal_lineage.model import NodeRef, RunInfo, StoredSnapshot
from temporal_lineage.query.links import InputLink, Producer, producers, run_inputs
from temporal_lineage.query.run_health import attempts
from temporal_lineage.store import Store


@dataclass(frozen=True)
class RunOutput:
    """A dataset the run wrote, with the snapshots linked to the run (tables only)."""

    node: NodeRef
    snapshots: tuple[tuple[StoredSnapshot, Producer], ...]


@dataclass(frozen=True)
class RunDetail:
    """The answer of ``run``."""

    run: RunInfo
    inputs: tuple[InputLink, ...]
    outputs: tuple[RunOutput, ...]
    known_at: datetime | None
    attempt: int | None = None
    """Which try of its piece of work the run was (see ``run_health.attempts``)."""


def run_detail(store: Store, run_id: str, *, known_at: datetime | None = None) -> RunDetail:
    """The run ``run_id`` from the facts known at ``known_at``.

    Outputs list the snapshots of each written table whose producing run is this run (by
    the same evidence rules as ``snapshots``).

    Raises:
        RunNotFound: no event of this run is known (at ``known_at``).
    """
    with store.reader() as reader:
        info = reader.run_infos([run_id], known_at).get(run_id)
        if info is None:
            raise RunNotFound(f"run {run_id}: no event of this run is known")
        inputs = run_inputs(reader, {run_id: info}, known_at)[run_id]
        outputs: list[RunOutput] = []
        seen: set[tuple[str, str]] = set()
        for dataset in reader.run_datasets([run_id], known_at, "output"):
            if (dataset.namespace, dataset.name) in seen:
                continue
            seen.add((dataset.namespace, dataset.name))
            if dataset.table is None:
                outputs.append(RunOutput(NodeRef(None, dataset.namespace, dataset.name), ()))
                continue
            snaps = reader.list_snapshots(dataset.table, known_at)
            links = producers(reader, dataset.table, snaps, known_at)
            mine = tuple(
                (s, links[s.snapshot.snapshot_id])
                for s in snaps
                if s.snapshot.snapshot_id in links
                and links[s.snapshot.snapshot_id].run_id == run_id
            )
            outputs.append(RunOutput(NodeRef(dataset.table.ref), mine))
        attempt = attempts(reader, [info], known_at).get(run_id)
    return RunDetail(info, tuple(inputs), tuple(outputs), known_at, attempt)
