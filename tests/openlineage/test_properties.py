"""Properties: mutated events are rejected with one line naming the field; nothing else raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from temporal_lineage.errors import InvalidEvent
from temporal_lineage.openlineage import ParsedEvent, RejectedEvent, parse_payload
from tests.fuzz.mutations import fuzz_settings

from .corpus import corpus_json, facet_errors, spec_errors

BASE = "compat_spark_dataproc/simple_producer_test_1_start.json"
SETTINGS = fuzz_settings(150)

Path = tuple[str | int, ...]

REQUIRED: tuple[Path, ...] = (
    ("eventTime",),
    ("producer",),
    ("schemaURL",),
    ("run", "runId"),
    ("job",),
    ("job", "namespace"),
    ("job", "name"),
    ("inputs", 0, "namespace"),
    ("inputs", 0, "name"),
    ("outputs", 0, "namespace"),
    ("outputs", 0, "name"),
    ("outputs", 0, "facets", "symlinks", "identifiers", 0, "name"),
    ("outputs", 0, "facets", "columnLineage", "fields", "a", "inputFields", 0, "field"),
)
"""Keys whose absence the spec (event or facet schema) and the parser both refuse."""

STRINGS: tuple[Path, ...] = (
    ("eventTime",),
    ("producer",),
    ("schemaURL",),
    ("eventType",),
    ("run", "runId"),
    ("job", "namespace"),
    ("job", "name"),
    ("inputs", 0, "namespace"),
    ("outputs", 0, "name"),
    ("run", "facets", "parent", "run", "runId"),
    ("job", "facets", "sql", "query"),
    ("outputs", 0, "facets", "schema", "fields", 0, "name"),
)
OBJECTS: tuple[Path, ...] = (
    ("job",),
    ("run", "facets"),
    ("run", "facets", "parent"),
    ("job", "facets", "sql"),
    ("inputs", 0),
    ("inputs", 0, "facets"),
    ("outputs", 0, "facets", "schema"),
    ("outputs", 0, "facets", "columnLineage", "fields"),
)
ARRAYS: tuple[Path, ...] = (
    ("inputs",),
    ("outputs",),
    ("outputs", 0, "facets", "schema", "fields"),
    ("outputs", 0, "facets", "symlinks", "identifiers"),
)
BAD_FORMATS: dict[Path, st.SearchStrategy[str]] = {
    ("eventTime",): st.sampled_from(["", "2024-10-17", "now", "17/10/2024 09:18"]),
    ("producer",): st.sampled_from(["", "spark", "https://x y", "no scheme"]),
    ("eventType",): st.text(max_size=10).filter(
        lambda s: s not in ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
    ),
    ("run", "runId"): st.text(max_size=40),
    ("job", "namespace"): st.sampled_from(["", " ", "\t"]),
    ("outputs", 0, "name"): st.sampled_from(["", "  "]),
}

# Text the store can keep: what an unstorable string gets is the fuzz tests' subject.
STORABLE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(STORABLE)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(STORABLE, max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _base() -> dict[str, Any]:
    event: dict[str, Any] = corpus_json(BASE)
    # A small column-lineage entry under a known name, so the paths above exist.
    lineage = event["outputs"][0]["facets"]["columnLineage"]
    lineage["fields"] = {"a": next(iter(lineage["fields"].values()))}
    return event


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else f"{text}.{part}" if text else part
    return text


def _at(event: dict[str, Any], path: Path) -> tuple[Any, str | int]:
    parent: Any = event
    for part in path[:-1]:
        parent = parent[part]
    return parent, path[-1]


def _rejection(event: Any, position: int = 0, total: int = 1) -> RejectedEvent:
    good = _base()
    events = [good] * total
    events[position] = event
    results = parse_payload(json.dumps(events), origin="mutated.json")
    assert len(results) == total
    for index, result in enumerate(results):
        assert isinstance(result, ParsedEvent) == (index != position)
    rejected = results[position]
    assert isinstance(rejected, RejectedEvent)
    assert rejected.index == position
    assert len(rejected.error.splitlines()) == 1
    return rejected


def _wrong_type(path: Path) -> st.SearchStrategy[Any]:
    if path in STRINGS:
        return JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, str))
    if path in OBJECTS:
        return JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, dict))
    return JSON_VALUES.filter(lambda v: v is not None and not isinstance(v, list))


def test_the_base_event_is_valid() -> None:
    event = _base()
    assert spec_errors(event) == []
    assert isinstance(parse_payload(json.dumps(event), origin="base.json")[0], ParsedEvent)


@SETTINGS
@given(path=st.sampled_from(REQUIRED), data=st.data())
def test_dropping_a_required_key_is_rejected_naming_it(path: Path, data: st.DataObject) -> None:
    event = _base()
    parent, key = _at(event, path)
    del parent[key]
    assert spec_errors(event) or facet_errors(event)
    total = data.draw(st.integers(1, 3))
    position = data.draw(st.integers(0, total - 1))
    rejected = _rejection(event, position, total)
    assert rejected.error == f"event {position}: {_dotted(path)}: missing"


@SETTINGS
@given(path=st.sampled_from(STRINGS + OBJECTS + ARRAYS), data=st.data())
def test_a_value_of_the_wrong_type_is_rejected_naming_it(path: Path, data: st.DataObject) -> None:
    event = _base()
    parent, key = _at(event, path)
    parent[key] = data.draw(_wrong_type(path))
    rejected = _rejection(event)
    assert rejected.error.startswith(f"event 0: {_dotted(path)}: not ")


@SETTINGS
@given(path=st.sampled_from(sorted(BAD_FORMATS)), data=st.data())
def test_a_badly_formed_value_is_rejected_naming_it(path: Path, data: st.DataObject) -> None:
    event = _base()
    parent, key = _at(event, path)
    parent[key] = data.draw(BAD_FORMATS[path])
    if path == ("run", "runId"):
        # Random text is almost never a UUID; skip the rare one that is.
        results = parse_payload(json.dumps(event), origin="x")
        if isinstance(results[0], ParsedEvent):
            return
    rejected = _rejection(event)
    assert rejected.error.startswith(f"event 0: {_dotted(path)}: ")


@SETTINGS
@given(value=JSON_VALUES)
def test_any_json_value_gives_results_and_never_raises(value: Any) -> None:
    results = parse_payload(json.dumps(value), origin="any.json")
    expected = len(value) if isinstance(value, list) else 1
    assert len(results) == expected
    for index, result in enumerate(results):
        assert isinstance(result, RejectedEvent)
        assert result.index == index
        assert result.error.startswith(f"event {index}: ")
        assert len(result.error.splitlines()) == 1


@SETTINGS
@given(payload=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_invalid_event(payload: bytes | str) -> None:
    try:
        results = parse_payload(payload, origin="fuzz")
    except InvalidEvent as exc:
        assert len(str(exc).splitlines()) == 1
        assert str(exc).startswith("fuzz: ")
        return
    for result in results:
        assert isinstance(result, ParsedEvent | RejectedEvent)
        if isinstance(result, RejectedEvent):
            assert len(result.error.splitlines()) == 1


@SETTINGS
@given(cut=st.integers(min_value=1, max_value=400), data=st.data())
def test_truncated_or_spliced_events_raise_nothing_but_invalid_event(
    cut: int, data: st.DataObject
) -> None:
    text = json.dumps(_base())
    noise = data.draw(st.text(max_size=5))
    payload = text[: len(text) - cut] + noise
    try:
        results = parse_payload(payload, origin="cut.json")
    except InvalidEvent:
        return
    assert all(isinstance(r, ParsedEvent | RejectedEvent) for r in results)


def test_deeply_nested_json_is_handled() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    try:
        results = parse_payload(deep, origin="deep.json")
    except InvalidEvent as exc:
        assert str(exc).startswith("deep.json: ")
    else:
        assert all(isinstance(r, RejectedEvent) for r in results)
    nested: Any = {}
    for _ in range(600):
        nested = {"a": nested}
    event = _base()
    event["run"]["facets"]["deep"] = nested
    (result,) = parse_payload(json.dumps(event), origin="nested.json")
    assert isinstance(result, ParsedEvent)
