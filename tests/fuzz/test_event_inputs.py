"""Fuzz: mutated real OpenLineage events, from files (``ingest``) and over HTTP.

Invariants on SQLite and PostgreSQL: no traceback, no 5xx, the documented exit codes and
statuses, one-line reasons; a bad event never stops the good ones of the same file; nothing
of a refused event or payload is stored.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from temporal_lineage.api import create_app
from temporal_lineage.cli.main import cli
from temporal_lineage.config import ServiceConfig, Settings
from temporal_lineage.errors import UNEXPECTED
from temporal_lineage.ingest import ingest_payload
from temporal_lineage.store import Store
from temporal_lineage.store import tables as t
from temporal_lineage.store.tokens import Scope
from tests.api.conftest import make_token
from tests.openlineage.corpus import COMPLETE, corpus_json

from .mutations import (
    Mutation,
    byte_mutations,
    fuzz_settings,
    json_mutations,
    one_line,
    unstorable_strings,
)

FUZZ = fuzz_settings(40)
BASES = [name for name in COMPLETE if "runId" in json.dumps(corpus_json(name))]


def _fresh(name: str) -> dict[str, Any]:
    """A corpus event with a run id of its own (so stored and refused runs can be told)."""
    event: dict[str, Any] = corpus_json(name)
    event["run"]["runId"] = str(uuid.uuid4())
    return event


def _run_ids(store: Store) -> set[str]:
    with store.connect() as conn:
        return set(conn.execute(select(t.runs.c.run_id)).scalars())


def _event_count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def _line(value: Any) -> str:
    # ensure_ascii keeps lone surrogates as the \ud800 escapes Java writers produce.
    return json.dumps(value, ensure_ascii=True)


@given(data=st.data())
@FUZZ
def test_a_mutated_event_in_a_file_never_stops_the_good_ones(
    data: st.DataObject, store: Store, tmp_path: Path
) -> None:
    good, other = _fresh(data.draw(st.sampled_from(BASES))), _fresh(BASES[0])
    base = _fresh(data.draw(st.sampled_from(BASES)))
    mutation: Mutation = data.draw(json_mutations(base))
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join([_line(good), _line(mutation.value), _line(other)]) + "\n")
    before = _run_ids(store)
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--store", url, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        mutation.what,
        result.output,
    )
    assert result.exit_code in (0, 1), (mutation.what, result.output)
    answer = json.loads(result.stdout)
    assert all(one_line(r["error"]) for r in answer["rejected"]), mutation.what
    assert not any(UNEXPECTED in r["error"] for r in answer["rejected"]), (mutation.what, answer)
    assert [r["index"] for r in answer["rejected"]] in ([], [1]), (mutation.what, answer)
    stored = _run_ids(store)
    assert {good["run"]["runId"], other["run"]["runId"]} <= stored, mutation.what
    if answer["rejected"]:  # nothing half-written: its fresh run id is nowhere
        assert base["run"]["runId"] not in stored - before, mutation.what
        assert "event 1: " in answer["rejected"][0]["error"]


@given(data=st.data())
@FUZZ
def test_a_file_of_mutated_bytes_is_refused_in_one_line(
    data: st.DataObject, store: Store, tmp_path: Path
) -> None:
    raw = ("\n".join(_line(_fresh(name)) for name in BASES[:3]) + "\n").encode()
    mutation: Mutation = data.draw(byte_mutations(raw))
    path = tmp_path / "events.ndjson"
    path.write_bytes(mutation.value)
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--store", url, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), mutation.what
    assert result.exit_code in (0, 1), (mutation.what, result.output)
    answer = json.loads(result.stdout)
    assert all(one_line(r["error"]) for r in answer["rejected"]), mutation.what
    assert not any(UNEXPECTED in r["error"] for r in answer["rejected"]), (mutation.what, answer)


@pytest.fixture
def writer(store: Store) -> Iterator[tuple[TestClient, Store]]:
    """The app over an empty store, with a client sending a write token."""
    app = create_app(
        Settings(store_url="unused://", service=ServiceConfig(scheduler=False)), store=store
    )
    token = make_token(store, Scope.WRITE)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client, store


def _post(client: TestClient, body: bytes, *, gzipped: bool, batch: bool) -> Any:
    headers = {"Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return client.post(
        "/api/v1/lineage/batch" if batch else "/api/v1/lineage", content=body, headers=headers
    )


@given(data=st.data())
@FUZZ
def test_a_mutated_post_is_a_4xx_and_stores_nothing(
    data: st.DataObject, writer: tuple[TestClient, Store]
) -> None:
    client, store = writer
    base = _fresh(data.draw(st.sampled_from(BASES)))
    batch = data.draw(st.booleans())
    if data.draw(st.booleans()):
        mutation: Mutation = data.draw(json_mutations(base))
        document: Any = [_fresh(BASES[0]), mutation.value] if batch else mutation.value
        body = _line(document).encode()
    else:
        mutation = data.draw(byte_mutations(_line([base] if batch else base).encode()))
        body = mutation.value
    gzipped = data.draw(st.booleans()) and not mutation.what.startswith("gzip")
    if gzipped:
        body = gzip.compress(body)
    elif mutation.what.startswith("gzip"):
        gzipped = data.draw(st.booleans())
    before = _event_count(store)
    response = _post(client, body, gzipped=gzipped, batch=batch)
    assert response.status_code in (201, 400, 413, 415, 422), (mutation.what, response.text)
    if response.status_code != 201:
        assert one_line(response.json()["detail"]), mutation.what
        assert UNEXPECTED not in response.json()["detail"], (mutation.what, response.text)
        assert _event_count(store) == before, mutation.what  # all or nothing
    after = _post(client, _line(_fresh(BASES[0])).encode(), gzipped=False, batch=False)
    assert after.status_code == 201, (mutation.what, after.text)  # the server goes on


@given(data=st.data())
@FUZZ
def test_an_unstorable_string_anywhere_rejects_the_event_naming_its_field(
    data: st.DataObject, store: Store
) -> None:
    """A lone surrogate or NUL in any string of a real event, whether the store would put it
    in a text column or only in the raw JSON: the event is refused naming that field, the
    good event beside it is stored."""
    event, field = data.draw(unstorable_strings(_fresh(data.draw(st.sampled_from(BASES)))))
    good = _fresh(BASES[0])
    report = ingest_payload(store, "\n".join([_line(event), _line(good)]), origin="fuzz")
    assert [r.index for r in report.rejected] == [0], (field, report.rejected)
    assert report.rejected[0].error.startswith(f"event 0: {field}"), (field, report.rejected)
    assert good["run"]["runId"] in _run_ids(store)
