"""OpenLineage payloads in, validated events out: one event, a JSON array, or NDJSON.

Validation follows the OpenLineage 2-0-2 spec where ingestion depends on it:

- envelope: ``eventTime`` (ISO-8601 date-time; naive means UTC), ``producer`` (a URI),
  ``schemaURL`` (a string);
- kind: ``run`` present -> RunEvent (``job`` required); else ``job`` -> JobEvent (no
  ``dataset`` allowed, as in the spec); else ``dataset`` -> DatasetEvent;
- RunEvent: ``run.runId`` a UUID (normalised to lowercase canonical), ``eventType``
  optional and one of ``RUN_STATES``; jobs and datasets need non-empty ``namespace`` and
  ``name``; ``inputs``/``outputs`` are arrays; facets containers and facets are objects;
- the facets read by ``temporal_lineage.openlineage.facets`` must be well-typed.

An optional key holding ``null`` counts as absent. An event that breaks a rule is
rejected whole, with one line naming the field: ``event 3: run.runId: not a UUID: 'abc'``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson

from temporal_lineage import jsontext
from temporal_lineage.errors import InvalidEvent
from temporal_lineage.openlineage.access_facets import read_principals
from temporal_lineage.openlineage.engines import engine_ids
from temporal_lineage.openlineage.events import (
    RUN_STATES,
    DatasetName,
    DatasetObservation,
    EventKind,
    ParsedEvent,
    RejectedEvent,
)
from temporal_lineage.openlineage.facets import (
    read_dataset,
    read_datasets,
    read_job_identity,
    read_nominal_time,
    read_parameters,
    read_parents,
)
from temporal_lineage.openlineage.governance_facets import read_owners, read_tags
from temporal_lineage.openlineage.quality_facets import read_tests
from temporal_lineage.openlineage.validate import (
    FieldError,
    as_choice,
    as_instant,
    as_object,
    as_string,
    as_uri,
    as_uuid,
    need,
    printable,
    read_facets,
    read_name,
)
from temporal_lineage.storable import find_unstorable

_GZIP_MAGIC = b"\x1f\x8b"
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class _BadLine:
    """An NDJSON line that is not JSON."""

    line: int
    reason: str


def fingerprint(raw: Any) -> str:
    """sha256 (hex) of the canonical JSON of an event: sorted keys, no whitespace.

    >>> fingerprint({"b": 1, "a": [1, 2]}) == fingerprint({"a": [1, 2], "b": 1})
    True
    """
    return hashlib.sha256(_canonical(raw)[0]).hexdigest()


def _canonical(raw: Any) -> tuple[bytes, bool]:
    """The canonical JSON bytes of an event, and whether orjson could write them.

    orjson refuses integers over 64 bits, lone surrogates and very deep nesting; the
    standard library writes those (surrogates passed through as they are).
    """
    try:
        return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS), True
    except TypeError:
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogatepass"), False


def _check_storable(event: Mapping[str, Any], canonical: bytes, plain: bool) -> None:
    """Refuse an event holding a string the store cannot keep (lone surrogate, NUL).

    The canonical bytes tell almost for free: orjson refuses surrogates, and writes NUL as
    an escape; only then is the event walked to name the field.
    """
    if plain and b"\\u0000" not in canonical:
        return
    found = find_unstorable(event)
    if found is not None:
        raise FieldError(*found)


def _kind(event: Mapping[str, Any]) -> EventKind:
    if event.get("run") is not None:
        return "run"
    if event.get("job") is not None:
        if event.get("dataset") is not None:
            raise FieldError("dataset", "not allowed in a JobEvent (an event with job, no run)")
        return "job"
    if event.get("dataset") is not None:
        return "dataset"
    raise FieldError("job", "missing (no run, job or dataset: not an OpenLineage event)")


def parse_event(value: Any) -> ParsedEvent:
    """Validate and normalise one decoded event.

    Raises:
        InvalidEvent: the event breaks a rule; ``str()`` is ``<field path>: <reason>``.

    >>> event = parse_event({
    ...     "eventTime": "2024-10-16T16:53:51.761Z", "producer": "https://example.com/p",
    ...     "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    ...     "eventType": "COMPLETE", "run": {"runId": "0192963F-F6F8-71C0-8380-500BC70883EE"},
    ...     "job": {"namespace": "default", "name": "etl"}})
    >>> event.kind, event.run_id, event.event_time.isoformat()
    ('run', '0192963f-f6f8-71c0-8380-500bc70883ee', '2024-10-16T16:53:51.761000+00:00')
    >>> parse_event({"eventTime": "soon"})
    Traceback (most recent call last):
    ...
    temporal_lineage.openlineage.validate.FieldError: eventTime: not an ISO-8601 date-time: 'soon'
    """
    event = as_object(value, "")
    canonical, plain = _canonical(event)
    _check_storable(event, canonical, plain)
    event_time = as_instant(need(event, "eventTime", ""), "eventTime")
    producer = as_uri(need(event, "producer", ""), "producer")
    schema_url = as_string(need(event, "schemaURL", ""), "schemaURL")
    kind = _kind(event)
    run_id = event_type = job = dataset = None
    run_facets: dict[str, Mapping[str, Any]] = {}
    job_facets: dict[str, Mapping[str, Any]] = {}
    inputs: tuple[DatasetObservation, ...] = ()
    outputs: tuple[DatasetObservation, ...] = ()
    if kind == "run":
        run = as_object(event["run"], "run")
        run_id = as_uuid(need(run, "runId", "run"), "run.runId")
        run_facets = read_facets(run, "facets", "run")
        if event.get("eventType") is not None:
            event_type = as_choice(event["eventType"], "eventType", RUN_STATES)
    if kind in ("run", "job"):
        job_obj = as_object(need(event, "job", ""), "job")
        job = DatasetName(read_name(job_obj, "namespace", "job"), read_name(job_obj, "name", "job"))
        job_facets = read_facets(job_obj, "facets", "job")
        inputs = read_datasets(event, "inputs", "input")
        outputs = read_datasets(event, "outputs", "output")
    else:
        dataset = read_dataset(event["dataset"], "dataset", "static")
    parents = read_parents(run_facets, "run.facets")
    nominal_start, nominal_end = read_nominal_time(run_facets, "run.facets")
    parameters = read_parameters(run_facets, "run.facets")
    identity = read_job_identity(job_facets, "job.facets")
    ids = engine_ids(run_facets)
    job_owners = read_owners(job_facets.get("ownership"), "job.facets.ownership")
    return ParsedEvent(
        kind=kind,
        event_type=event_type,
        event_time=event_time,
        producer=producer,
        schema_url=schema_url,
        run_id=run_id,
        job=job,
        parent_run_id=parents.parent_run_id,
        parent_job=parents.parent_job,
        nominal_start=nominal_start,
        nominal_end=nominal_end,
        code_version=identity.code_version,
        source_url=identity.source_url,
        sql=identity.sql,
        sql_dialect=identity.sql_dialect,
        parameters=MappingProxyType(parameters) if parameters else _EMPTY,
        engine_ids=MappingProxyType(ids) if ids else _EMPTY,
        inputs=inputs,
        outputs=outputs,
        dataset=dataset,
        raw=MappingProxyType(event),
        fingerprint=hashlib.sha256(canonical).hexdigest(),
        root_run_id=parents.root_run_id,
        root_job=parents.root_job,
        job_tags=read_tags(job_facets.get("tags"), "job.facets.tags"),
        run_tags=read_tags(run_facets.get("tags"), "run.facets.tags"),
        job_owners=job_owners,
        run_quality=read_tests(run_facets, "run.facets"),
        principals=read_principals(run_facets, job_owners),
    )


def _text(data: bytes | str, origin: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    raw = bytes(data)
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InvalidEvent(printable(f"{origin}: not a readable gzip payload: {exc}")) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(
            f"{printable(origin)}: not UTF-8 text: {exc.reason} at byte {exc.start}"
        ) from None


def _loads(text: str) -> Any:
    """Decode JSON; every failure is a ValueError (deep nesting included)."""
    try:
        return jsontext.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _elements(data: bytes | str, origin: str) -> list[Any]:
    """The payload's elements (decoded JSON, or ``_BadLine`` for an NDJSON line that is not)."""
    text = _text(data, origin)
    if not text.strip():
        return []
    try:
        whole = _loads(text)
    except ValueError as exc:
        # The text only: the exception's traceback holds this frame, whose elements would
        # then live until the cyclic collector finds them (all of a large NDJSON file).
        whole_error = str(exc)
    else:
        return whole if isinstance(whole, list) else [whole]
    lines = [
        (number, line) for number, line in enumerate(text.split("\n"), start=1) if line.strip()
    ]
    if len(lines) < 2:
        raise InvalidEvent(printable(f"{origin}: not JSON: {whole_error}"))
    elements: list[Any] = []
    for number, line in lines:
        try:
            elements.append(_loads(line))
        except ValueError as exc:
            elements.append(_BadLine(number, str(exc)))
    if not any(isinstance(element, dict) for element in elements):
        raise InvalidEvent(printable(f"{origin}: not JSON or NDJSON: {whole_error}"))
    return elements


def _parsed(value: Any, index: int, origin: str) -> ParsedEvent | RejectedEvent:
    if isinstance(value, _BadLine):
        reason = f"not JSON (line {value.line}): {value.reason}"
    else:
        try:
            return parse_event(value)
        except FieldError as exc:
            reason = str(exc)
        except RecursionError:
            reason = "nested too deeply"
    return RejectedEvent(index, printable(f"event {index}: {reason}"), origin)


def parse_payload(data: bytes | str, *, origin: str) -> list[ParsedEvent | RejectedEvent]:
    """Parse a payload of OpenLineage events: one JSON event, a JSON array, or NDJSON.

    Each element becomes a ``ParsedEvent`` or a ``RejectedEvent`` (0-based index in the
    payload; NDJSON blank lines are skipped and not counted). Bytes must be UTF-8 (a BOM is
    skipped) and may be gzip-compressed. An empty payload has no events.

    Raises:
        InvalidEvent: the payload is not JSON (nor NDJSON with at least one object line);
            the message is one line starting with ``origin``.

    >>> [type(e).__name__ for e in parse_payload('{"a": 1}\\n\\n[]', origin="x.ndjson")]
    ['RejectedEvent', 'RejectedEvent']
    >>> parse_payload("[1]", origin="x.json")[0].error
    'event 0: not an object: 1'
    >>> parse_payload("hello", origin="x.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    temporal_lineage.errors.InvalidEvent: x.json: not JSON: ...
    """
    return [_parsed(value, index, origin) for index, value in enumerate(_elements(data, origin))]
