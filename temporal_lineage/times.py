"""Instants: parsing what users type, formatting what answers show, converting engine clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from temporal_lineage.errors import InvalidTime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_millis(ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds (Iceberg timestamp-ms, Delta timestamp).

    >>> from_millis(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    """
    return _EPOCH + timedelta(milliseconds=int(ms))


def to_millis(instant: datetime) -> int:
    """Epoch milliseconds of an aware datetime (floor)."""
    return (int(instant.timestamp()) * 1000) + instant.microsecond // 1000


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 instant: a naive time is UTC, a bare date is 00:00:00 UTC of that day.

    >>> parse_time("2026-03-03").isoformat()
    '2026-03-03T00:00:00+00:00'
    >>> parse_time("2026-03-03T10:00:00+02:00").isoformat()
    '2026-03-03T08:00:00+00:00'
    >>> parse_time("2026-03-03T10:00:00.5Z").isoformat()
    '2026-03-03T10:00:00.500000+00:00'
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidTime(
            f"not an ISO-8601 time: {text!r} (e.g. 2026-03-03 or 2026-03-03T10:00:00Z)"
        ) from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidTime(f"out of range in UTC: {text!r}") from None


def format_time(instant: datetime | None) -> str | None:
    """ISO-8601 UTC with a ``Z``: milliseconds, or microseconds when the instant has them.

    >>> format_time(from_millis(1758879443926))
    '2025-09-26T09:37:23.926Z'
    """
    if instant is None:
        return None
    utc = instant.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def now() -> datetime:
    """The current instant, aware UTC, to the millisecond (the time facts are recorded at).

    Milliseconds are the precision every answer prints, so a printed ``recorded_at`` or
    ``expired_in_source`` given back as ``--known-at`` selects exactly the same facts.
    """
    instant = datetime.now(UTC)
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
