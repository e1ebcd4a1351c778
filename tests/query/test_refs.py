"""Branches, tags, write-audit-publish and rollback on real pyiceberg tables.

Every change is made by pyiceberg itself (``create_branch``, ``append(branch=)``,
``create_tag``, ``manage_snapshots().set_current_snapshot``, ``rollback_to_snapshot``,
``remove_branch``), synced into SQLite and PostgreSQL, and asked back as of times between.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli
from temporal_lineage.errors import RefNotFound
from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.query.provenance import provenance
from temporal_lineage.query.refs import refs_of
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import from_millis, now
from tests.test_resilience import sql_catalog, write_config

REF = TableRef("lake", "ns.t")
MS = timedelta(milliseconds=1)


class Lake:
    """One Iceberg table in a SQL catalog, synced into ``store`` when asked."""

    def __init__(self, folder: Path, store: Store) -> None:
        url = store.engine.url.render_as_string(hide_password=False)
        self.catalog, self.settings = sql_catalog(folder, url)
        self.data = pa.table({"a": pa.array([1], pa.int64())})
        self.catalog.create_table("ns.t", schema=self.data.schema)
        self.store = store

    @property
    def table(self) -> Any:
        return self.catalog.load_table("ns.t")

    def append(self, branch: str | None = None) -> int:
        time.sleep(0.01)
        table = self.table
        if branch is None:
            table.append(self.data)
        else:
            table.append(self.data, branch=branch)
        refs = self.catalog.load_table("ns.t").metadata.refs
        return int(refs[branch or "main"].snapshot_id)

    def changed(self, change: Any) -> datetime:
        """Apply ``change(manage_snapshots())`` and return the metadata's last-updated time."""
        time.sleep(0.01)
        change(self.table.manage_snapshots()).commit()
        return from_millis(self.table.metadata.last_updated_ms)

    def sync(self) -> None:
        report = sync(self.store, self.settings)
        assert report.errors == [], report.errors


def _ids(found: list[Any]) -> list[int]:
    return [s.snapshot.snapshot_id for s, _ in found]


def _head(store: Store, at: datetime) -> int | None:
    head = history.snapshot_as_of(store, REF, at)
    return head.snapshot.snapshot_id if head else None


@pytest.mark.parametrize("sync_every_step", [True, False], ids=["each-step", "once"])
def test_write_audit_publish_rollback_and_tags(
    tmp_path: Path, store: Store, sync_every_step: bool
) -> None:
    lake = Lake(tmp_path, store)
    step = lake.sync if sync_every_step else (lambda: None)
    first = lake.append()
    step()
    branched = lake.changed(lambda m: m.create_branch(first, "audit"))
    step()
    audited = lake.append(branch="audit")
    audited_at = from_millis(lake.table.metadata.snapshot_by_id(audited).timestamp_ms)
    step()
    tagged = lake.changed(lambda m: m.create_tag(first, "v1"))
    step()
    published = lake.changed(lambda m: m.set_current_snapshot(snapshot_id=audited))
    step()
    rolled_back = lake.changed(lambda m: m.rollback_to_snapshot(first))
    step()
    removed = lake.changed(lambda m: m.remove_branch("audit"))
    lake.sync()

    # main: the published snapshot is main's head from the publish, not from its commit.
    assert _head(store, audited_at) == first
    assert _head(store, published) == audited
    assert _head(store, published - MS) == first
    assert _head(store, rolled_back) == first
    # the branch, as of times between
    on_branch = history.snapshots_with_producers(store, REF, as_of=audited_at, ref_name="audit")
    assert _ids(on_branch) == [audited]
    before_write = history.snapshots_with_producers(
        store, REF, as_of=audited_at - MS, ref_name="audit"
    )
    if sync_every_step:  # the branch's creation is dated exactly by its metadata file
        assert _ids(before_write) == [first]
        assert (
            history.snapshots_with_producers(store, REF, as_of=branched - MS, ref_name="audit")
            == []
        )
    assert history.snapshots_with_producers(store, REF, as_of=removed, ref_name="audit") == []
    stored = {s.snapshot.snapshot_id: s for s in history.list_snapshots(store, REF)}
    assert stored[audited].snapshot.branch == "audit" and stored[first].snapshot.branch is None
    # the tag
    assert _ids(history.snapshots_with_producers(store, REF, as_of=now(), ref_name="v1")) == [first]
    assert history.snapshots_with_producers(store, REF, as_of=tagged - MS, ref_name="v1") == []
    # the history of every ref: audit moved once and was removed
    states = [(r.ref.name, r.ref.snapshot_id, r.ended_at is None) for r in refs_of(store, REF)]
    assert ("audit", audited, False) in states and ("v1", first, True) in states
    assert [r.ref.name for r in refs_of(store, REF, as_of=now())] == ["v1"]
    # provenance and schema of a ref
    closure = provenance(store, REF, audited_at, ref_name="audit")
    assert closure.ref == "audit" and closure.nodes[0].snapshot is not None
    assert closure.nodes[0].snapshot.snapshot.snapshot_id == audited
    schema = history.schema_as_of(store, REF, audited_at, ref_name="audit")
    assert schema is not None and [f.name for f in schema.schema.fields] == ["a"]
    with pytest.raises(RefNotFound, match="no branch or tag 'nope'"):
        history.snapshots_with_producers(store, REF, as_of=now(), ref_name="nope")


def test_a_table_without_branches_or_tags_has_no_refs(tmp_path: Path, store: Store) -> None:
    lake = Lake(tmp_path, store)
    lake.append()
    lake.sync()
    assert refs_of(store, REF) == [] and refs_of(store, REF, as_of=now()) == []
    with pytest.raises(RefNotFound, match=r"known: main\)"):
        history.schema_as_of(store, REF, now(), ref_name="audit")


def test_the_command_line_answers_for_a_ref(tmp_path: Path, store: Store) -> None:
    lake = Lake(tmp_path, store)
    first = lake.append()
    lake.changed(lambda m: m.create_branch(first, "audit"))
    audited = lake.append(branch="audit")
    lake.sync()
    config = str(lake.settings.config_path)

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli, [*args, "--config", config, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    rows = run("snapshots", "lake.ns.t", "--ref", "audit")
    assert [(r["snapshot"], r["branch"]) for r in rows] == [(first, None), (audited, "audit")]
    assert run("schema", "lake.ns.t", "--ref", "audit")["schema_id"] == 0
    assert run("provenance", "lake.ns.t", "--as-of", "2100-01-01", "--ref", "audit")["ref"] == (
        "audit"
    )
    graph = run("lineage", "lake.ns.t", "--as-of", "2100-01-01", "--ref", "audit")
    assert graph["ref"] == "audit" and graph["nodes"][0]["snapshot"] == audited
    assert run("lineage", "lake.ns.t", "--as-of", "2100-01-01")["nodes"][0]["snapshot"] == first
    assert [(r["name"], r["kind"], r["snapshot"]) for r in run("refs", "lake.ns.t")] == [
        ("audit", "branch", first),
        ("audit", "branch", audited),
    ]
    missing = CliRunner().invoke(
        cli, ["snapshots", "lake.ns.t", "--ref", "nope", "--config", config]
    )
    assert missing.exit_code == 3 and "no branch or tag 'nope'" in missing.stderr


def test_a_spark_cherry_pick_leads_to_the_staged_snapshot_and_its_writer(
    tmp_path: Path, store: Store
) -> None:
    """Spark's write-audit-publish: a snapshot staged with ``wap.id`` is cherry-picked to
    main as a new snapshot carrying ``source-snapshot-id`` and ``published-wap-id``. pyiceberg
    cannot cherry-pick, so the publish is written into the real table's metadata as Spark
    writes it; the staged snapshot itself is a real pyiceberg write."""
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog(
        "w", type="sql", uri=f"sqlite:///{tmp_path}/c.db", warehouse=f"file://{tmp_path}"
    )
    catalog.create_namespace("ns")
    data = pa.table({"a": pa.array([1], pa.int64())})
    table = catalog.create_table("ns.t", schema=data.schema)
    table.append(data)
    main = table.current_snapshot().snapshot_id
    writer = "01930000-0000-7000-8000-0000000000aa"
    table.manage_snapshots().create_branch(main, "staging").commit()
    table = catalog.load_table("ns.t")
    table.append(
        data, branch="staging", snapshot_properties={"lineage.run-id": writer, "wap.id": "w1"}
    )
    table = catalog.load_table("ns.t")
    staged = table.metadata.refs["staging"].snapshot_id
    metadata_file = Path(table.metadata_location.removeprefix("file://"))
    metadata = json.loads(metadata_file.read_text())
    source = next(s for s in metadata["snapshots"] if s["snapshot-id"] == staged)
    published_at = metadata["last-updated-ms"] + 5
    picked = {
        **source,
        "snapshot-id": staged + 1,
        "parent-snapshot-id": main,
        "timestamp-ms": published_at,
        "summary": {
            **{k: v for k, v in source["summary"].items() if k != "lineage.run-id"},
            "source-snapshot-id": str(staged),
            "published-wap-id": "w1",
        },
    }
    metadata["snapshots"].append(picked)
    metadata["current-snapshot-id"] = picked["snapshot-id"]
    metadata["refs"]["main"]["snapshot-id"] = picked["snapshot-id"]
    metadata["snapshot-log"].append(
        {"snapshot-id": picked["snapshot-id"], "timestamp-ms": published_at}
    )
    metadata["metadata-log"].append(
        {"metadata-file": str(metadata_file), "timestamp-ms": metadata["last-updated-ms"]}
    )
    metadata["last-updated-ms"] = published_at
    root = tmp_path / "root" / "t" / "metadata"
    root.mkdir(parents=True)
    for old in metadata_file.parent.glob("*.metadata.json"):
        shutil.copy(old, root / old.name)
    (root / "99999-published.metadata.json").write_text(json.dumps(metadata))
    settings = write_config(
        tmp_path,
        "  - {name: ice, format: iceberg, root: root}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    assert sync(store, settings).errors == []
    closure = provenance(store, TableRef("ice", "t"), from_millis(published_at))
    by_snapshot = {n.snapshot.snapshot.snapshot_id: n for n in closure.nodes if n.snapshot}
    head = by_snapshot[picked["snapshot-id"]]
    assert [e.kind.value for e in head.evidence] == ["published"]
    assert "published-wap-id w1" in head.evidence[0].detail
    assert by_snapshot[staged].run_id == writer
    assert [(e.source_snapshot, e.target_snapshot) for e in closure.edges] == [
        (staged, picked["snapshot-id"])
    ]
