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
    store: Store,
    data: bytes | str,
    *,
    origin: str,
    report: IngestReport | None = None,
    atomic: bool = False,
    single: bool = False,
) -> IngestReport:
    """Ingest one payload: a JSON event, a JSON array of events, or NDJSON.

    With ``atomic``, one invalid event rejects the whole payload: nothing of it is stored
    (what the HTTP endpoints promise); otherwise the valid events still go in. With
    ``single``, the payload must be exactly one event.

    Raises:
        InvalidEvent: the payload is not JSON at all, or not one event where ``single``
            asks for one (nothing of it is stored).
    """
    report = report if report is not None else IngestReport()
    with collector_paused():
        items = parse_payload(data, origin=origin)
        if single and len(items) != 1:
            raise InvalidEvent(f"{origin}: expected one event, got {len(items)}")
        return _ingest(store, items, origin, report, atomic)


def _ingest(
    store: Store,
    items: list[ParsedEvent | RejectedEvent],
    origin: str,
    report: IngestReport,
    atomic: bool,
) -> IngestReport:
    parsed: list[ParsedEvent] = []
    for item in items:
        if isinstance(item, RejectedEvent):
            report.rejected.append(Rejection(origin, item.index, item.error))
        else:
            parsed.append(item)
    if atomic and report.rejected:
        return report
    size = max(len(parsed), 1) if atomic else BATCH  # atomic: one transaction
    for start in range(0, len(parsed), size):
        batch = parsed[start : start + size]
        with store.begin() as conn:
            writer = EventWriter(conn, now())
            stored = writer.known([e.fingerprint for e in batch])
            for event in batch:
                report.accepted += 1
                if event.fingerprint in stored:
                    report.duplicates += 1
                    continue
                stored.add(event.fingerprint)
                writer.write(event)
            writer.flush()
    return report


@dataclass(frozen=True)
class Payload:
    """One request's body for ``ingest_atomic``."""

    data: bytes | str
    origin: str
    single: bool = False


def ingest_atomic(store: Store, payloads: list[Payload]) -> list[IngestReport | InvalidEvent]:
    """Ingest several payloads, each all or nothing, in one transaction (group commit).

    Each payload gets its own answer: an ``IngestReport`` (its events stored, or its
    rejections and nothing stored) or the ``InvalidEvent`` that refused it whole. A store
    failure raises for all of them (nothing of any is stored).
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
            events = [item for item in items if isinstance(item, ParsedEvent)]
            report.rejected.extend(
                Rejection(payload.origin, item.index, item.error)
                for item in items
                if isinstance(item, RejectedEvent)
            )
            answers.append(report)
            if not report.rejected:
                accepted.append((report, events))
        if accepted:
            with store.begin() as conn:
                writer = EventWriter(conn, now())
                stored = writer.known([e.fingerprint for _, events in accepted for e in events])
                for report, events in accepted:
                    for event in events:
                        report.accepted += 1
                        if event.fingerprint in stored:
                            report.duplicates += 1
                            continue
                        stored.add(event.fingerprint)
                        writer.write(event)
                writer.flush()
    return answers


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
