"""The source contract, over both formats and every way a source is configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from temporal_lineage.errors import InvalidMetadata, LineageError
from temporal_lineage.times import to_millis

from .kits import KITS, Kit, corrupt


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    made = KITS[request.param](tmp_path)
    made.create()
    yield made


def pause() -> None:
    time.sleep(0.01)  # distinct commit milliseconds


def test_discovers_the_table(kit: Kit) -> None:
    found = kit.source().discover()
    assert [e.ref.identifier for e in found.tables] == [kit.identifier]
    assert found.skipped == ()


def test_reads_exactly_what_the_library_reports(kit: Kit) -> None:
    pause()
    kit.commit(10)
    state = kit.source().read(kit.entry(), None)
    assert {s.snapshot_id: to_millis(s.committed_at) for s in state.snapshots} == (
        kit.library_snapshots()
    )
    assert state.heads[-1].snapshot_id == kit.library_current()
    assert [s.summary.get("lineage.run-id") for s in state.snapshots][-1] == "run-10"
    assert state.transitions, "the first schema is a transition"


def test_a_noop_poll_reads_nothing_and_a_commit_is_noticed(kit: Kit) -> None:
    source = kit.source()
    first = source.read(kit.entry(), None)
    assert source.has_changed(kit.entry(), first.cursor) is False
    pause()
    kit.commit(10)
    entry = kit.entry()
    assert source.has_changed(entry, first.cursor) is True
    second = source.read(entry, first.cursor)
    new_ids = {s.snapshot_id for s in second.snapshots} - {s.snapshot_id for s in first.snapshots}
    assert new_ids == {kit.library_current()}
    if not source.capabilities.has_head_log:
        # Formats without a head log read only the new commits.
        assert {s.snapshot_id for s in second.snapshots} == new_ids
    assert source.has_changed(kit.entry(), second.cursor) is False


def test_a_schema_change_is_a_transition_with_the_new_field(kit: Kit) -> None:
    source = kit.source()
    first = source.read(kit.entry(), None)
    pause()
    kit.add_column("note")
    second = source.read(kit.entry(), first.cursor)
    latest = second.transitions[-1].schema
    assert "note" in [f.name for f in latest.fields]
    old_ids = {f.name: f.id for f in first.transitions[-1].schema.fields}
    new_ids = {f.name: f.id for f in latest.fields}
    assert {k: new_ids[k] for k in old_ids} == old_ids  # existing fields keep their identity
    assert second.transitions[-1].effective_at >= first.transitions[-1].effective_at


def test_malformed_metadata_is_one_clear_error_naming_the_table(kit: Kit) -> None:
    corrupt(kit.current_metadata_file())
    source = kit.source()
    with pytest.raises(InvalidMetadata) as raised:
        source.read(kit.entry(), None)
    message = str(raised.value)
    assert kit.identifier in message and "\n" not in message


def test_a_file_vanishing_between_listing_and_reading_is_a_clear_error(kit: Kit) -> None:
    entry = kit.entry()
    kit.current_metadata_file().unlink()
    with pytest.raises(LineageError) as raised:
        kit.source().read(entry, None)
    assert kit.identifier in str(raised.value) and "\n" not in str(raised.value)
