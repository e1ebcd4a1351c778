"""Ingesting OpenLineage events: validate each, store the valid ones, report the others.

An invalid event is rejected whole, with a reason naming the field; the others in the same
payload still go in. Events already stored (same content) are accepted again as no-ops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from temporal_lineage.collector import collector_paused
from temporal_lineage.errors import (
    UNEXPECTED,
    InvalidEvent,
    LineageError,
    ValueRefused,
    one_line,
)
from temporal_lineage.openlineage.column_edges import column_edges
from temporal_lineage.openlineage.events import ParsedEvent, RejectedEvent
from temporal_lineage.openlineage.parse import parse_payload
from temporal_lineage.store import Store
from temporal_lineage.store.event_writes import EventWriter, write_cache
from temporal_lineage.times import now

_LOG = logging.getLogger(__name__)

BATCH = 5000
"""Events per transaction on big files: bounded lock time (about 2 s), and few commits. Each
commit rewrites every index page its events touched, and the run and fingerprint indexes
are keyed at random: at 100,000 events, batches of 1,000 spent 186 us per event committing,
batches of 5,000 76 us (bench/ingestion.py)."""


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
        # The parsed events die with this call, before the collector is back: its first pass
        # would otherwise walk every object of them (a tenth of a large file's ingestion).
        _ingest_parsed(store, parse_payload(data, origin=origin), origin, report)
    return report


def _ingest_parsed(
    store: Store, items: list[ParsedEvent | RejectedEvent], origin: str, report: IngestReport
) -> None:
    """``ingest_payload`` of the parsed payload."""
    parsed = _split(items, origin, report)
    for start in range(0, len(parsed), BATCH):
        batch = parsed[start : start + BATCH]
        try:
            _store_events(store, [(report, [event for _, event in batch])])
        except Exception as exc:  # noqa: BLE001 - the last line of defence, event by event
            if _store_down(exc):
                raise
            _LOG.debug("storing a batch of %s failed; retrying event by event", origin)
            _store_separately(store, [(report, [event], origin, index) for index, event in batch])


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
    (nothing of any is stored); an unexpected failure of one payload's events is that
    payload's rejection, and the others are stored.
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
            valid = _split(items, payload.origin, report)
            answers.append(report)
            if not report.rejected:
                accepted.append((report, [event for _, event in valid]))
        if accepted:
            try:
                _store_events(store, accepted)
            except Exception as exc:  # noqa: BLE001 - the last line of defence, payload by payload
                if _store_down(exc):
                    raise
                _LOG.debug("a group of %d payloads failed; one by one", len(accepted))
                _store_separately(store, [(r, events, "", -1) for r, events in accepted])
    return answers


def _store_separately(
    store: Store, parts: list[tuple[IngestReport, list[ParsedEvent], str, int]]
) -> None:
    """Store each part (an event, or a whole payload) in its own transaction, after a shared
    one failed: a part that fails is its report's rejection (``index`` -1: the payload)."""
    for report, events, origin, index in parts:
        try:
            _store_events(store, [(report, events)])
        except Exception as exc:  # noqa: BLE001 - this part's error; the others go on
            if _store_down(exc):
                raise
            _LOG.debug("storing part %d of %s failed", index, origin or "a post", exc_info=True)
            prefix = f"event {index}: " if index >= 0 else ""
            report.rejected.append(Rejection(origin, index, prefix + _cause(exc)))


def _store_down(exc: BaseException) -> bool:
    """A failure of the store itself (not of one value): every part would fail the same."""
    return isinstance(exc, LineageError) and not isinstance(exc, ValueRefused)


def _cause(exc: BaseException) -> str:
    """Why an event could not be written: a value the store refused, or a bug."""
    if isinstance(exc, ValueRefused):
        return f"cannot be stored: {one_line(exc)}"
    return f"{UNEXPECTED} while storing it: {one_line(exc)}"


def _split(
    items: list[ParsedEvent | RejectedEvent], origin: str, report: IngestReport
) -> list[tuple[int, ParsedEvent]]:
    """The valid events with their index in the payload; the rejected ones go to ``report``."""
    report.rejected.extend(
        Rejection(origin, item.index, item.error)
        for item in items
        if isinstance(item, RejectedEvent)
    )
    return [(index, item) for index, item in enumerate(items) if isinstance(item, ParsedEvent)]


def _store_events(store: Store, groups: list[tuple[IngestReport, list[ParsedEvent]]]) -> None:
    """Write every group's events in one transaction; events already stored are no-ops.

    The reports are counted only once the transaction has committed.
    """
    counts: list[tuple[IngestReport, int, int]] = []
    cache = write_cache(store)
    try:
        with store.begin() as conn:
            writer = EventWriter(conn, now(), cache)
            stored = writer.known([e.fingerprint for _, events in groups for e in events])
            for report, events in groups:
                duplicates = 0
                for event in events:
                    if event.fingerprint in stored:
                        duplicates += 1
                        continue
                    stored.add(event.fingerprint)
                    writer.write(event, column_edges(event, writer.known_table))
                counts.append((report, len(events), duplicates))
            writer.flush()
    except BaseException:
        cache.clear()
        raise
    cache.keep(writer)
    for report, accepted, duplicates in counts:
        report.accepted += accepted
        report.duplicates += duplicates


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
