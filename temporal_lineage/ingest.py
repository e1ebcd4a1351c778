"""Ingesting OpenLineage events: validate each, store the valid ones, report the others.

An invalid event is rejected whole, with a reason naming the field; the others in the same
payload still go in. Events already stored (same content) are accepted again as no-ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from temporal_lineage.collector import collector_paused
from temporal_lineage.errors import InvalidEvent
from temporal_lineage.openlineage.events import ParsedEvent, RejectedEvent
from temporal_lineage.openlineage.parse import parse_payload
from temporal_lineage.store import Store
from temporal_lineage.store.event_writes import EventWriter
from temporal_lineage.times import now

BATCH = 1000
"""Events per transaction: bounded memory and lock time on big files."""


@dataclass(frozen=True)
class Rejection:
    """An event that was not stored, and why."""

    origin: str
    index: int
    error: str


@dataclass
class IngestReport:
    """What one ingestion did."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def ingest_payload(
    store: Store, data: bytes | str, *, origin: str, report: IngestReport | None = None
) -> IngestReport:
    """Ingest one payload: a JSON event, a JSON array of events, or NDJSON.

    An invalid event is rejected (with its reason); the valid ones still go in, in
    transactions of ``BATCH`` events.

    Raises:
        InvalidEvent: the payload is not JSON at all (nothing of it is stored).
    """
    report = report if report is not None else IngestReport()
    with collector_paused():
        parsed = _split(parse_payload(data, origin=origin), origin, report)
        for start in range(0, len(parsed), BATCH):
            _store_events(store, [(report, parsed[start : start + BATCH])])
    return report


@dataclass(frozen=True)
class Payload:
    """One request's body for ``ingest_atomic``."""

    data: bytes | str
    origin: str
    single: bool = False
    """The payload must be exactly one event."""


def ingest_atomic(store: Store, payloads: list[Payload]) -> list[IngestReport | InvalidEvent]:
    """Ingest several payloads, each all or nothing, in one transaction (group commit).

    Each payload gets its own answer: an ``IngestReport`` (its events stored, or its
    rejections and nothing stored) or the ``InvalidEvent`` that refused it whole (not JSON,
    or not one event where ``single`` asks for one). A store failure raises for all of them
    (nothing of any is stored).
    """
    answers: list[IngestReport | InvalidEvent] = []
    accepted: list[tuple[IngestReport, list[ParsedEvent]]] = []
    with collector_paused():
        for payload in payloads:
            report = IngestReport()
            try:
                items = parse_payload(payload.data, origin=payload.origin)
                if payload.single and len(items) != 1:
                    raise InvalidEvent(f"{payload.origin}: expected one event, got {len(items)}")
            except InvalidEvent as exc:
                answers.append(exc)
                continue
            events = _split(items, payload.origin, report)
            answers.append(report)
            if not report.rejected:
                accepted.append((report, events))
        if accepted:
            _store_events(store, accepted)
    return answers


def _split(
    items: list[ParsedEvent | RejectedEvent], origin: str, report: IngestReport
) -> list[ParsedEvent]:
    """The valid events; the rejected ones go to ``report``."""
    report.rejected.extend(
        Rejection(origin, item.index, item.error)
        for item in items
        if isinstance(item, RejectedEvent)
    )
    return [item for item in items if isinstance(item, ParsedEvent)]


def _store_events(store: Store, groups: list[tuple[IngestReport, list[ParsedEvent]]]) -> None:
    """Write every group's events in one transaction; events already stored are no-ops."""
    with store.begin() as conn:
        writer = EventWriter(conn, now())
        stored = writer.known([e.fingerprint for _, events in groups for e in events])
        for report, events in groups:
            for event in events:
                report.accepted += 1
                if event.fingerprint in stored:
                    report.duplicates += 1
                    continue
                stored.add(event.fingerprint)
                writer.write(event)
        writer.flush()


def ingest_files(store: Store, paths: list[Path]) -> IngestReport:
    """Ingest every file; a file that is not JSON is one rejection, the others still go in."""
    report = IngestReport()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.rejected.append(Rejection(str(path), -1, f"{path}: cannot read: {exc.strerror}"))
            continue
        try:
            ingest_payload(store, data, origin=str(path), report=report)
        except InvalidEvent as exc:
            report.rejected.append(Rejection(str(path), -1, str(exc)))
    return report
