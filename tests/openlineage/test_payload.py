"""Payload shapes (one event, array, NDJSON), indexes, payload-level errors, fingerprints."""

from __future__ import annotations

import copy
import gc
import gzip
import json
from typing import Any

import pytest

from temporal_lineage.errors import InvalidEvent, LineageError
from temporal_lineage.openlineage import ParsedEvent, RejectedEvent, parse_payload

from .corpus import corpus_json

EVENT = "compat_spark_dataproc/simple_producer_test_1_start.json"
OTHER = "compat_airflow/line_03.json"


def _event(relative: str = EVENT) -> dict[str, Any]:
    loaded: dict[str, Any] = corpus_json(relative)
    return loaded


def _broken(event: dict[str, Any]) -> dict[str, Any]:
    broken = copy.deepcopy(event)
    broken["run"]["runId"] = "abc"
    return broken


def _kinds(results: list[ParsedEvent | RejectedEvent]) -> list[str]:
    return ["ok" if isinstance(r, ParsedEvent) else f"rejected {r.index}" for r in results]


def test_single_object() -> None:
    (event,) = parse_payload(json.dumps(_event()), origin="one.json")
    assert isinstance(event, ParsedEvent)


def test_array_mixing_valid_and_invalid_events_keeps_positions() -> None:
    good, other = _event(), _event(OTHER)
    payload = json.dumps([good, _broken(good), other, {"eventTime": 1}, 7, good])
    results = parse_payload(payload.encode(), origin="mixed.json")
    assert _kinds(results) == ["ok", "rejected 1", "ok", "rejected 3", "rejected 4", "ok"]
    errors = [r.error for r in results if isinstance(r, RejectedEvent)]
    assert errors == [
        "event 1: run.runId: not a UUID: 'abc'",
        "event 3: eventTime: not a string: 1",
        "event 4: not an object: 7",
    ]
    assert all(r.origin == "mixed.json" for r in results if isinstance(r, RejectedEvent))


def test_ndjson_skips_blank_lines_and_counts_only_events() -> None:
    good = json.dumps(_event())
    lines = ["", good, "   ", json.dumps(_broken(_event())), "", json.dumps(_event(OTHER)), ""]
    results = parse_payload("\r\n".join(lines), origin="events.ndjson")
    assert _kinds(results) == ["ok", "rejected 1", "ok"]


def test_ndjson_line_that_is_not_json_is_rejected_alone() -> None:
    good = json.dumps(_event())
    results = parse_payload(f"{good}\n{{not json\n\n{good}\n", origin="events.ndjson")
    assert _kinds(results) == ["ok", "rejected 1", "ok"]
    rejected = results[1]
    assert isinstance(rejected, RejectedEvent)
    assert rejected.error.startswith("event 1: not JSON (line 2): ")
    assert "\n" not in rejected.error


@pytest.mark.parametrize(
    "payload",
    [b"hello", "{not json", b'{\n  "a": 1,\n}\n', b"1 2", "[1, 2", b"\xff\xfe\x00junk"],
)
def test_payload_that_is_not_json_raises_invalid_event(payload: bytes | str) -> None:
    with pytest.raises(InvalidEvent) as raised:
        parse_payload(payload, origin="bad.json")
    assert isinstance(raised.value, LineageError)
    message = str(raised.value)
    assert message.startswith("bad.json: ")
    assert len(message.splitlines()) == 1


def test_parsed_ndjson_is_freed_without_the_cyclic_collector() -> None:
    # A large file is parsed with the collector paused: what it parsed must go when the
    # last reference goes, not wait for a collection (it once stayed for the whole file).
    lines = "\n".join([json.dumps(_event()), "{not json", json.dumps(_event(OTHER))])
    gc.collect()
    gc.disable()
    try:
        results = parse_payload(lines, origin="events.ndjson")
        assert _kinds(results) == ["ok", "rejected 1", "ok"]
        del results
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_ndjson_without_a_single_object_line_raises() -> None:
    with pytest.raises(InvalidEvent, match=r"^x\.ndjson: not JSON or NDJSON: "):
        parse_payload("1\n{broken\n", origin="x.ndjson")


@pytest.mark.parametrize("payload", [b"", "  \n\n ", b"[]", "\ufeff"])
def test_empty_payload_has_no_events(payload: bytes | str) -> None:
    assert parse_payload(payload, origin="empty") == []


def test_utf8_bom_and_gzip_are_accepted() -> None:
    body = json.dumps([_event(), _event(OTHER)], ensure_ascii=False).encode()
    assert _kinds(parse_payload(b"\xef\xbb\xbf" + body, origin="bom.json")) == ["ok", "ok"]
    assert _kinds(parse_payload(gzip.compress(body), origin="events.json.gz")) == ["ok", "ok"]
    with pytest.raises(InvalidEvent, match="not a readable gzip payload"):
        parse_payload(gzip.compress(body)[:20], origin="cut.gz")


def test_duplicate_events_have_equal_fingerprints() -> None:
    event = _event()
    reordered = dict(reversed(list(event.items())))
    payload = "\n".join([json.dumps(event), json.dumps(reordered, indent=2).replace("\n", " ")])
    first, second = parse_payload(payload, origin="dupes.ndjson")
    assert isinstance(first, ParsedEvent) and isinstance(second, ParsedEvent)
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 64
    assert first == second
    (other,) = parse_payload(json.dumps(_event(OTHER)), origin="other.json")
    assert isinstance(other, ParsedEvent)
    assert other.fingerprint != first.fingerprint


def test_fingerprint_survives_numbers_orjson_refuses() -> None:
    event = _event()
    event["run"]["facets"]["custom"] = {"_producer": "x", "big": 2**70}
    (parsed,) = parse_payload(json.dumps(event), origin="big.json")
    assert isinstance(parsed, ParsedEvent)
    assert parsed.raw["run"]["facets"]["custom"]["big"] == 2**70
    (again,) = parse_payload(json.dumps(event, indent=1), origin="big.json")
    assert isinstance(again, ParsedEvent) and again.fingerprint == parsed.fingerprint


def test_parsed_values_are_frozen() -> None:
    (event,) = parse_payload(json.dumps(_event()), origin="one.json")
    assert isinstance(event, ParsedEvent)
    with pytest.raises(AttributeError):
        event.run_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.raw["eventTime"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        event.outputs[0].facets["schema"] = {}  # type: ignore[index]
    assert hash(event) == hash(event) and hash(event.outputs[0]) == hash(event.outputs[0])
    assert json.loads(json.dumps(dict(event.raw))) == _event()
