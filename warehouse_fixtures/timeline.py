"""Ground-truth timeline records, their recorders and the timeline.json (de)serialisation."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from warehouse_fixtures.governance_records import GovernanceRecord
from warehouse_fixtures.propagation_records import PropagationRecord
from warehouse_fixtures.run_records import RunDataset as RunDataset
from warehouse_fixtures.run_records import RunInput as RunInput
from warehouse_fixtures.run_records import RunOutput as RunOutput
from warehouse_fixtures.run_records import RunRecord as RunRecord

Format = Literal["iceberg", "delta"]

TIMELINE_FILE = "timeline.json"
EVENTS_FILE = "openlineage/events.ndjson"
"""The OpenLineage events of the warehouse's job runs (NDJSON), relative to the root."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_ms(epoch_ms: int) -> str:
    """Format epoch milliseconds as ISO-8601 UTC with milliseconds and a trailing Z."""
    moment = _EPOCH + timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso_ms(text: str) -> int:
    """Parse a timestamp written by iso_ms back into epoch milliseconds."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def now_ms() -> int:
    """Return the current wall-clock time in epoch milliseconds."""
    return (datetime.now(UTC) - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True)
class FieldRecord:
    """One (possibly nested) column of a schema."""

    id: int | None
    path: str
    type: str
    nullable: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"id": self.id, "path": self.path, "type": self.type, "nullable": self.nullable}


@dataclass(frozen=True)
class SchemaRecord:
    """A schema and the moment it became the table's current schema."""

    schema_id: int
    effective_at: str
    fields: tuple[FieldRecord, ...]

    def field_by_path(self, path: str) -> FieldRecord | None:
        """Return the field at a dotted path, if present."""
        return next((f for f in self.fields if f.path == path), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "schema_id": self.schema_id,
            "effective_at": self.effective_at,
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True)
class SpecFieldRecord:
    """One partition field of an Iceberg partition spec."""

    field_id: int
    source_id: int
    name: str
    transform: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "field_id": self.field_id,
            "source_id": self.source_id,
            "name": self.name,
            "transform": self.transform,
        }


@dataclass(frozen=True)
class SpecRecord:
    """An Iceberg partition spec and the moment it became the default spec."""

    spec_id: int
    effective_at: str
    fields: tuple[SpecFieldRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "spec_id": self.spec_id,
            "effective_at": self.effective_at,
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True)
class SnapshotRecord:
    """An Iceberg snapshot or Delta version as it was when committed.

    ``run_id`` is the run id tagged in the commit (``lineage.run-id``), None when untagged;
    ``produced_by`` is the run that produced the snapshot whatever the evidence (None for
    commits made outside any run, such as schema migrations), and ``evidence`` the
    strongest evidence of that link the product can derive.
    """

    snapshot: int
    parent: int | None
    committed_at: str
    operation: str
    schema_id: int | None
    run_id: str | None
    expired: bool
    produced_by: str | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "snapshot": self.snapshot,
            "parent": self.parent,
            "committed_at": self.committed_at,
            "operation": self.operation,
            "schema_id": self.schema_id,
            "run_id": self.run_id,
            "expired": self.expired,
            "produced_by": self.produced_by,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class HeadRecord:
    """A change of the table's head (main branch / latest version)."""

    snapshot: int
    start: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"snapshot": self.snapshot, "start": self.start}


@dataclass(frozen=True)
class TableTimeline:
    """Everything recorded about one table."""

    name: str
    format: Format
    snapshots: tuple[SnapshotRecord, ...]
    heads: tuple[HeadRecord, ...]
    current_snapshot: int | None
    schemas: tuple[SchemaRecord, ...]
    partition_specs: tuple[SpecRecord, ...] = ()

    def snapshot(self, snapshot_id: int) -> SnapshotRecord:
        """Return the record of one snapshot."""
        return next(s for s in self.snapshots if s.snapshot == snapshot_id)

    def schema(self, schema_id: int) -> SchemaRecord:
        """Return the first record of one schema id."""
        return next(s for s in self.schemas if s.schema_id == schema_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        out: dict[str, Any] = {
            "format": self.format,
            "snapshots": [s.to_dict() for s in self.snapshots],
            "heads": [h.to_dict() for h in self.heads],
            "current_snapshot": self.current_snapshot,
            "schemas": [s.to_dict() for s in self.schemas],
        }
        if self.format == "iceberg":
            out["partition_specs"] = [s.to_dict() for s in self.partition_specs]
        return out


@dataclass(frozen=True)
class EventRecord:
    """One step of the story: what was done to which table, and when it was committed."""

    day: int
    at: str
    table: str
    action: str
    snapshot: int | None
    details: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "day": self.day,
            "at": self.at,
            "table": self.table,
            "action": self.action,
            "snapshot": self.snapshot,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Timeline:
    """The ground truth of a built warehouse."""

    root: Path
    built_at: str
    tables: Mapping[str, TableTimeline]
    events: tuple[EventRecord, ...]
    runs: tuple[RunRecord, ...]
    events_file: str = EVENTS_FILE
    propagation: tuple[PropagationRecord, ...] = ()
    governance: GovernanceRecord | None = None

    def table(self, name: str) -> TableTimeline:
        """Return one table's timeline."""
        return self.tables[name]

    def events_for(self, table: str, action: str | None = None) -> list[EventRecord]:
        """Return the events of one table, optionally only one action."""
        return [
            e for e in self.events if e.table == table and (action is None or e.action == action)
        ]

    def run(self, run_id: str) -> RunRecord:
        """Return the record of one run."""
        return next(r for r in self.runs if r.run_id == run_id)

    def runs_of(self, job: str) -> list[RunRecord]:
        """Return the runs of one job, in start order."""
        return [r for r in self.runs if r.job == job]

    @property
    def events_path(self) -> Path:
        """The absolute path of the OpenLineage events file."""
        return self.root / self.events_file

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "built_at": self.built_at,
            "events_file": self.events_file,
            "tables": {name: t.to_dict() for name, t in self.tables.items()},
            "events": [e.to_dict() for e in self.events],
            "runs": [r.to_dict() for r in self.runs],
            "propagation": [p.to_dict() for p in self.propagation],
            "governance": None if self.governance is None else self.governance.to_dict(),
        }

    def write(self) -> Path:
        """Write timeline.json into the warehouse root and return its path."""
        target = self.root / TIMELINE_FILE
        target.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return target


def _field_from(d: Mapping[str, Any]) -> FieldRecord:
    return FieldRecord(id=d["id"], path=d["path"], type=d["type"], nullable=d["nullable"])


def _table_from(name: str, d: Mapping[str, Any]) -> TableTimeline:
    return TableTimeline(
        name=name,
        format=cast(Format, d["format"]),
        snapshots=tuple(SnapshotRecord(**s) for s in d["snapshots"]),
        heads=tuple(HeadRecord(**h) for h in d["heads"]),
        current_snapshot=d["current_snapshot"],
        schemas=tuple(
            SchemaRecord(
                schema_id=s["schema_id"],
                effective_at=s["effective_at"],
                fields=tuple(_field_from(f) for f in s["fields"]),
            )
            for s in d["schemas"]
        ),
        partition_specs=tuple(
            SpecRecord(
                spec_id=s["spec_id"],
                effective_at=s["effective_at"],
                fields=tuple(SpecFieldRecord(**f) for f in s["fields"]),
            )
            for s in d.get("partition_specs", [])
        ),
    )


def load_timeline(root: Path) -> Timeline:
    """Read ROOT/timeline.json back into a Timeline."""
    data = json.loads((root / TIMELINE_FILE).read_text(encoding="utf-8"))
    return Timeline(
        root=root,
        built_at=data["built_at"],
        tables={name: _table_from(name, t) for name, t in data["tables"].items()},
        events=tuple(EventRecord(**e) for e in data["events"]),
        runs=tuple(RunRecord.from_dict(r) for r in data.get("runs", [])),
        events_file=data.get("events_file", EVENTS_FILE),
        propagation=tuple(PropagationRecord.from_dict(p) for p in data.get("propagation", [])),
        governance=None
        if data.get("governance") is None
        else GovernanceRecord.from_dict(data["governance"]),
    )


@dataclass
class TableRecorder:
    """Mutable accumulator of one table's history while the warehouse is being built."""

    # Snapshots keep the order in which they were first observed, which is commit order.

    name: str
    format: Format
    snapshots: dict[int, SnapshotRecord] = field(default_factory=dict)
    heads: list[HeadRecord] = field(default_factory=list)
    schemas: list[SchemaRecord] = field(default_factory=list)
    specs: list[SpecRecord] = field(default_factory=list)
    current_snapshot: int | None = None

    def add_snapshot(self, record: SnapshotRecord) -> bool:
        """Record a snapshot the first time it is seen; return whether it was new."""
        if record.snapshot in self.snapshots:
            return False
        self.snapshots[record.snapshot] = record
        return True

    def mark_expired(self, snapshot_id: int) -> None:
        """Flag a recorded snapshot as no longer present in the table metadata."""
        old = self.snapshots[snapshot_id]
        if not old.expired:
            self.snapshots[snapshot_id] = replace(old, expired=True)

    def attribute(self, snapshot_id: int, run_id: str, evidence: str) -> None:
        """Record which run produced a snapshot and the evidence of that link."""
        self.snapshots[snapshot_id] = replace(
            self.snapshots[snapshot_id], produced_by=run_id, evidence=evidence
        )

    def head_as_of(self, at_ms: int) -> int | None:
        """Return the head snapshot at a time (the latest head change at or before it)."""
        found: int | None = None
        for head in self.heads:
            if parse_iso_ms(head.start) > at_ms:
                break
            found = head.snapshot
        return found

    def add_head(self, snapshot_id: int, start_ms: int) -> None:
        """Record a head change."""
        self.heads.append(HeadRecord(snapshot=snapshot_id, start=iso_ms(start_ms)))

    def current_schema_id(self) -> int | None:
        """Return the id of the most recently recorded schema."""
        return self.schemas[-1].schema_id if self.schemas else None

    def add_schema(self, schema_id: int, at_ms: int, fields: Sequence[FieldRecord]) -> None:
        """Record that a schema became current."""
        self.schemas.append(SchemaRecord(schema_id, iso_ms(at_ms), tuple(fields)))

    def current_spec_id(self) -> int | None:
        """Return the id of the most recently recorded partition spec."""
        return self.specs[-1].spec_id if self.specs else None

    def add_spec(self, spec_id: int, at_ms: int, fields: Sequence[SpecFieldRecord]) -> None:
        """Record that a partition spec became the default."""
        self.specs.append(SpecRecord(spec_id, iso_ms(at_ms), tuple(fields)))

    def freeze(self) -> TableTimeline:
        """Return the immutable timeline of this table."""
        return TableTimeline(
            name=self.name,
            format=self.format,
            snapshots=tuple(self.snapshots.values()),
            heads=tuple(self.heads),
            current_snapshot=self.current_snapshot,
            schemas=tuple(self.schemas),
            partition_specs=tuple(self.specs),
        )


@dataclass
class TimelineRecorder:
    """Mutable accumulator of the whole warehouse history while it is being built."""

    root: Path
    day: int = 0
    tables: dict[str, TableRecorder] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    propagation: list[PropagationRecord] = field(default_factory=list)
    governance: GovernanceRecord | None = None

    def table(self, name: str, fmt: Format) -> TableRecorder:
        """Return (creating on first use) the recorder of one table."""
        if name not in self.tables:
            self.tables[name] = TableRecorder(name=name, format=fmt)
        return self.tables[name]

    def event(
        self,
        table: str,
        action: str,
        at_ms: int,
        snapshot: int | None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one story step at the current day."""
        self.events.append(
            EventRecord(
                day=self.day,
                at=iso_ms(at_ms),
                table=table,
                action=action,
                snapshot=snapshot,
                details=dict(details or {}),
            )
        )

    def add_run(self, record: RunRecord) -> None:
        """Record a finished job run and attribute the snapshots it produced to it."""
        self.runs.append(record)
        for output in record.outputs:
            if output.table is not None and output.snapshot is not None:
                evidence = output.evidence or ""
                self.tables[output.table].attribute(output.snapshot, record.run_id, evidence)

    def freeze(self) -> Timeline:
        """Return the immutable timeline, stamped with the current time."""
        return Timeline(
            root=self.root,
            built_at=iso_ms(now_ms()),
            tables={name: rec.freeze() for name, rec in self.tables.items()},
            events=tuple(self.events),
            runs=tuple(self.runs),
            propagation=tuple(self.propagation),
            governance=self.governance,
        )
