"""Sources in object storage: Iceberg and Delta tables in an S3 server, synced like local ones.

The S3 server is moto's, started by these tests on 127.0.0.1 (``s3_endpoint``); the
credentials are fake and exist only in each test's environment (nothing here can reach
AWS). The tables are written by pyiceberg and deltalake themselves, the product is
configured through a ``lineage.yaml`` exactly as a user would write it, and what the store
holds after ``sync`` is compared with what the libraries report.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli
from temporal_lineage.config import Settings, load_settings
from temporal_lineage.model import ChangeKind, DatedBy, TableRef
from temporal_lineage.query import history
from temporal_lineage.store import Store, open_store
from temporal_lineage.sync import sync
from temporal_lineage.times import from_millis, to_millis

RUN_KEY = "lineage.run-id"
FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)

ICEBERG_REFS = ("lake.raw.events", "hadoop.raw.events")  # one table, found two ways
DELTA_REFS = ("deltas.users", "deltas.sales.orders")


def rows(start: int, count: int = 2, note: bool = False) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "id": pa.array(range(start, start + count), pa.int64()),
        "amount": pa.array([float(i) for i in range(count)], pa.float64()),
    }
    if note:
        columns["note"] = pa.array([f"n{i}" for i in range(count)], pa.string())
    return pa.table(columns)


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials in the environment; nothing read from the user's AWS set-up."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT",
        "AWS_ALLOW_HTTP",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-key")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@dataclass
class Lake:
    """One bucket of the test server, the writers of its tables, and the config reading it."""

    folder: Path
    endpoint: str
    bucket: str
    run_ids: dict[str, dict[int, str]] = field(default_factory=dict)
    schema_changed_ms: int | None = None
    _catalog: Any = None

    # -- writing (as the engines would) -------------------------------------------------

    @property
    def delta_options(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ALLOW_HTTP": "true"}

    def delta_uri(self, path: str) -> str:
        return f"s3://{self.bucket}/delta/{path}"

    def delta_write(self, path: str, data: pa.Table, run: str, **options: Any) -> int:
        from deltalake import CommitProperties, write_deltalake

        write_deltalake(
            self.delta_uri(path),
            data,
            storage_options=self.delta_options,
            commit_properties=CommitProperties(custom_metadata={RUN_KEY: run}),
            **options,
        )
        version = int(self.delta_table(path).version())
        self.run_ids.setdefault(path, {})[version] = run
        return version

    def delta_table(self, path: str) -> Any:
        from deltalake import DeltaTable

        return DeltaTable(self.delta_uri(path), storage_options=self.delta_options)

    @property
    def catalog_uri(self) -> str:
        return f"sqlite:///{self.folder / 'catalog.db'}"

    @property
    def catalog(self) -> Any:
        """The writer's catalog (the engine side: it names its region explicitly)."""
        if self._catalog is None:
            from pyiceberg.catalog import load_catalog

            self._catalog = load_catalog(
                "lake",
                type="sql",
                uri=self.catalog_uri,
                warehouse=f"s3://{self.bucket}/iceberg",
                **{"s3.endpoint": self.endpoint, "s3.region": "us-east-1"},
            )
        return self._catalog

    def iceberg_table(self) -> Any:
        return self.catalog.load_table("raw.events")

    def iceberg_append(self, data: pa.Table, run: str) -> int:
        table = self.iceberg_table()
        table.append(data, snapshot_properties={RUN_KEY: run})
        snapshot_id = int(table.current_snapshot().snapshot_id)
        self.run_ids.setdefault("raw.events", {})[snapshot_id] = run
        return snapshot_id

    def build(self, *, zero_log_retention: bool = False) -> None:
        """Delta: users (create, append, a column added), sales/orders (one commit).
        Iceberg: raw.events (two appends, a column added, an append with it)."""
        retention = {"delta.logRetentionDuration": "interval 0 seconds"}
        configuration = retention if zero_log_retention else None
        self.delta_write("users", rows(0), "users-0", configuration=configuration)
        self.delta_write("users", rows(10), "users-1", mode="append")
        with_note = rows(20, note=True)
        self.delta_write("users", with_note, "users-2", mode="append", schema_mode="merge")
        self.delta_write("sales/orders", rows(0), "orders-0")

        self.catalog.create_namespace_if_not_exists("raw")
        self.catalog.create_table(
            "raw.events", schema=rows(0).schema, location=f"s3://{self.bucket}/iceberg/raw/events"
        )
        self.iceberg_append(rows(0), "events-0")
        self.iceberg_append(rows(10), "events-1")
        from pyiceberg.types import StringType

        table = self.iceberg_table()
        with table.update_schema() as update:
            update.add_column("note", StringType())
        self.schema_changed_ms = int(table.metadata.last_updated_ms)
        self.iceberg_append(rows(20, note=True), "events-2")

    # -- configuring (as a user would) -------------------------------------------------

    def write_config(self, store_url: str, sources: str | None = None) -> Settings:
        default = f"""\
  - name: lake
    format: iceberg
    catalog:
      type: sql
      uri: "{self.catalog_uri}"
      warehouse: "s3://{self.bucket}/iceberg"
      s3.endpoint: "{self.endpoint}"
  - name: hadoop
    format: iceberg
    root: s3://{self.bucket}/iceberg
    storage_options: {{s3.endpoint: "{self.endpoint}"}}
  - name: deltas
    format: delta
    root: s3://{self.bucket}/delta
    storage_options:
      AWS_ENDPOINT_URL: "{self.endpoint}"
      AWS_ALLOW_HTTP: "true"
"""
        path = self.folder / "lineage.yaml"
        path.write_text(f'store: "{store_url}"\nsources:\n{sources or default}', encoding="utf-8")
        return load_settings(path)


@pytest.fixture
def lake(s3_endpoint: str, fake_aws: None, tmp_path: Path) -> Iterator[Lake]:
    """A fresh bucket (one per test) on the shared server."""
    from pyarrow import fs

    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    server = fs.S3FileSystem(
        endpoint_override=s3_endpoint.removeprefix("http://"),
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=True,
    )
    server.create_dir(bucket)  # a top-level "directory" is a bucket
    made = Lake(tmp_path, s3_endpoint, bucket)
    yield made
    if made._catalog is not None:
        made._catalog.engine.dispose()


# -- what the store holds, and what the libraries say --------------------------------


def stored_times(store: Store, ref: str) -> dict[int, int]:
    return {
        s.snapshot.snapshot_id: to_millis(s.snapshot.committed_at)
        for s in history.list_snapshots(store, TableRef.from_user_string(ref))
    }


def head_at(store: Store, ref: str, at: datetime) -> int | None:
    found = history.snapshot_as_of(store, TableRef.from_user_string(ref), at)
    return None if found is None else found.snapshot.snapshot_id


def check_iceberg(store: Store, lake: Lake, ref: str) -> None:
    table = lake.iceberg_table()
    metadata = table.metadata
    stored = {
        s.snapshot.snapshot_id: s.snapshot
        for s in history.list_snapshots(store, TableRef.from_user_string(ref))
    }
    assert {k: to_millis(v.committed_at) for k, v in stored.items()} == {
        s.snapshot_id: s.timestamp_ms for s in metadata.snapshots
    }, ref
    for snapshot in metadata.snapshots:
        got = stored[snapshot.snapshot_id]
        assert got.parent_id == snapshot.parent_snapshot_id, ref
        assert got.schema_id == snapshot.schema_id, ref
        assert got.operation == snapshot.summary.operation.value, ref
        assert got.summary.get(RUN_KEY) == lake.run_ids["raw.events"][snapshot.snapshot_id]
    # The head at every entry of the snapshot log, and none before the first.
    log = metadata.snapshot_log
    assert head_at(store, ref, from_millis(log[0].timestamp_ms) - MS) is None
    for entry in log:
        assert head_at(store, ref, from_millis(entry.timestamp_ms)) == entry.snapshot_id, ref
    assert head_at(store, ref, FAR_FUTURE) == table.current_snapshot().snapshot_id
    # Schema history: one version per schema id, the added column by its field id, dated by
    # the metadata file that made it current.
    entries = history.schema_history(store, TableRef.from_user_string(ref))
    assert [e.schema_id for e in entries] == [s.schema_id for s in metadata.schemas], ref
    added = entries[-1]
    assert (added.dated_by, to_millis(added.effective_at)) == (
        DatedBy.METADATA_LOG,
        lake.schema_changed_ms,
    ), ref
    note = table.schema().find_field("note")
    assert [(c.kind, c.field_id, c.path) for c in added.changes] == [
        (ChangeKind.ADDED, note.field_id, ("note",))
    ], ref
    current = history.schema_as_of(store, TableRef.from_user_string(ref), FAR_FUTURE)
    assert current is not None and current.schema_id == table.schema().schema_id
    assert [(f.id, f.name) for f in current.schema.fields] == [
        (f.field_id, f.name) for f in table.schema().fields
    ], ref


def check_delta(store: Store, lake: Lake, ref: str) -> None:
    path = ref.removeprefix("deltas.").replace(".", "/")
    table = lake.delta_table(path)
    truth = delta_times(lake, path)
    stored = {
        s.snapshot.snapshot_id: s.snapshot
        for s in history.list_snapshots(store, TableRef.from_user_string(ref))
    }
    assert {k: to_millis(v.committed_at) for k, v in stored.items()} == truth, ref
    for version, snapshot in stored.items():
        assert snapshot.summary.get(RUN_KEY) == lake.run_ids[path][version], ref
        assert snapshot.parent_id == (version - 1 if version else None), ref
    for version, millis in truth.items():  # each version is the head from its commit time
        assert head_at(store, ref, from_millis(millis)) == version, ref
    assert head_at(store, ref, from_millis(min(truth.values())) - MS) is None
    assert head_at(store, ref, FAR_FUTURE) == table.version()
    current = history.schema_as_of(store, TableRef.from_user_string(ref), FAR_FUTURE)
    assert current is not None
    assert [f.name for f in current.schema.fields] == [f.name for f in table.schema().fields]


def delta_times(lake: Lake, path: str) -> dict[int, int]:
    """Version -> commit epoch millis, as deltalake reports them."""
    return {int(h["version"]): int(h["timestamp"]) for h in lake.delta_table(path).history()}


def check_delta_users_schema_history(store: Store, times: dict[int, int]) -> None:
    entries = history.schema_history(store, TableRef("deltas", "users"))
    assert [(e.snapshot_id, to_millis(e.effective_at), e.dated_by) for e in entries] == [
        (0, times[0], DatedBy.COMMIT),
        (2, times[2], DatedBy.COMMIT),
    ]
    assert [(c.kind, c.path) for c in entries[-1].changes] == [(ChangeKind.ADDED, ("note",))]


def check_all(store: Store, lake: Lake) -> None:
    for ref in ICEBERG_REFS:
        check_iceberg(store, lake, ref)
    for ref in DELTA_REFS:
        check_delta(store, lake, ref)
    check_delta_users_schema_history(store, delta_times(lake, "users"))


# -- the tests ------------------------------------------------------------------------


def test_sync_from_object_storage_matches_the_libraries(
    lake: Lake, store_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    lake.build()
    settings = lake.write_config(store_url)

    report = sync(store, settings)
    assert report.errors == [] and report.skipped == []
    assert sorted(str(t.ref) for t in history.list_tables(store)) == sorted(
        (*ICEBERG_REFS, *DELTA_REFS)
    )
    assert (report.tables, report.new_snapshots) == (4, 3 + 3 + 3 + 1)
    locations = {str(t.ref): t.location for t in history.list_tables(store)}
    assert locations["deltas.users"] == lake.delta_uri("users")
    assert locations["hadoop.raw.events"] == f"s3://{lake.bucket}/iceberg/raw/events"
    check_all(store, lake)
    # The catalog source's FileIO never asked AWS for the bucket's region.
    assert "Unable to resolve region" not in caplog.text

    again = sync(store, settings)
    assert (again.tables, again.new_snapshots, again.new_schema_versions) == (4, 0, 0)
    assert again.errors == []

    lake.delta_write("users", rows(30, note=True), "users-3", mode="append")
    lake.iceberg_append(rows(30, note=True), "events-3")
    picked = sync(store, settings)
    assert picked.errors == []
    assert (picked.new_snapshots, picked.new_schema_versions) == (3, 0)  # 2 Iceberg refs + Delta
    check_all(store, lake)


def test_expiry_and_log_cleanup_in_object_storage(
    lake: Lake, store_url: str, store: Store, tmp_path: Path
) -> None:
    lake.build(zero_log_retention=True)
    settings = lake.write_config(store_url)
    assert sync(store, settings).errors == []
    seen = {ref: set(stored_times(store, ref)) for ref in (*ICEBERG_REFS, *DELTA_REFS)}
    users_times = delta_times(lake, "users")

    # Iceberg: expire the oldest snapshot. Delta: checkpoint, then clean the log up.
    oldest = min(lake.iceberg_table().metadata.snapshots, key=lambda s: s.timestamp_ms)
    lake.iceberg_table().maintenance.expire_snapshots().by_ids([oldest.snapshot_id]).commit()
    users = lake.delta_table("users")
    users.create_checkpoint()
    users.cleanup_metadata()
    retained = set(delta_times(lake, "users"))
    removed = seen["deltas.users"] - retained
    assert removed, "cleanup_metadata removed no commit file"

    after = sync(store, settings)
    assert after.errors == []
    assert (after.new_snapshots, after.new_schema_versions) == (0, 0)
    for ref, expired in (
        ("lake.raw.events", {oldest.snapshot_id}),
        ("hadoop.raw.events", {oldest.snapshot_id}),
        ("deltas.users", removed),
    ):
        snapshots = history.list_snapshots(store, TableRef.from_user_string(ref))
        assert {s.snapshot.snapshot_id for s in snapshots} == seen[ref], ref  # never forgotten
        assert {s.snapshot.snapshot_id for s in snapshots if s.expired_in_source} == expired, ref
    check_delta_users_schema_history(store, users_times)

    # A store that first meets the cleaned log reads the checkpoint parquet from the bucket.
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert sync(fresh, settings, source="deltas").errors == []
        assert set(stored_times(fresh, "deltas.users")) == retained
        current = history.schema_as_of(fresh, TableRef("deltas", "users"), FAR_FUTURE)
        assert current is not None
        assert [f.name for f in current.schema.fields] == ["id", "amount", "note"]
    finally:
        fresh.close()


def test_endpoint_from_the_environment_like_delta_rs(
    lake: Lake, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No storage_options at all: the endpoint comes from AWS_ENDPOINT_URL, as for deltalake."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", lake.endpoint)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    lake.build()
    settings = lake.write_config(
        str(sqlite_store.engine.url),
        f"""\
  - {{name: hadoop, format: iceberg, root: "s3://{lake.bucket}/iceberg"}}
  - {{name: deltas, format: delta, root: "s3://{lake.bucket}/delta"}}
  - {{name: listed, format: delta, tables: ["s3://{lake.bucket}/delta/users"]}}
""",
    )
    report = sync(sqlite_store, settings)
    assert report.errors == [] and report.tables == 4
    check_iceberg(sqlite_store, lake, "hadoop.raw.events")
    for ref in DELTA_REFS:
        check_delta(sqlite_store, lake, ref)
    assert stored_times(sqlite_store, "listed.users") == stored_times(sqlite_store, "deltas.users")


def test_cli_sync_from_object_storage(lake: Lake, tmp_path: Path) -> None:
    lake.build()
    lake.write_config(f"sqlite:///{tmp_path / 'cli.db'}")
    config = str(tmp_path / "lineage.yaml")

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli, [*args, "--config", config, "--format", "json"])
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    answer = run("sync")
    assert answer["errors"] == [] and answer["tables"] == 4 and answer["new_snapshots"] == 10
    assert run("sync")["new_snapshots"] == 0
    tables = {row["table"]: row for row in run("tables")}
    assert tables["deltas.users"]["location"] == lake.delta_uri("users")
    assert tables["deltas.users"]["current_snapshot"] == 2
    assert [row["snapshot"] for row in run("snapshots", "deltas.users")] == [0, 1, 2]
    events = run("snapshots", "lake.raw.events")
    assert {row["snapshot"] for row in events} == set(lake.run_ids["raw.events"])
    history_rows = run("schema-history", "hadoop.raw.events")
    assert [c["kind"] for c in history_rows[-1]["changes"]] == ["added"]


def test_an_unreachable_object_store_is_one_line_naming_the_source(
    lake: Lake, sqlite_store: Store
) -> None:
    lake.build()
    from pyiceberg.catalog import load_catalog

    # A second catalog whose table is fine but whose configured endpoint answers nothing.
    writer: Any = load_catalog(
        "broken",
        type="sql",
        uri=lake.catalog_uri,
        warehouse=f"s3://{lake.bucket}/iceberg",
        **{"s3.endpoint": lake.endpoint, "s3.region": "us-east-1"},
    )
    writer.create_namespace_if_not_exists("raw")
    writer.create_table(
        "raw.other", schema=rows(0).schema, location=f"s3://{lake.bucket}/iceberg/raw/other"
    ).append(rows(0))
    writer.engine.dispose()
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
        settings = lake.write_config(
            str(sqlite_store.engine.url),
            f"""\
  - name: deltas
    format: delta
    root: s3://{lake.bucket}/delta
    storage_options: {{AWS_ENDPOINT_URL: "{lake.endpoint}", AWS_ALLOW_HTTP: "true"}}
  - name: gone
    format: delta
    root: s3://{lake.bucket}/delta
    storage_options: {{AWS_ENDPOINT_URL: "{dead}", AWS_ALLOW_HTTP: "true"}}
  - name: gone_root
    format: iceberg
    root: s3://{lake.bucket}/iceberg
    storage_options: {{s3.endpoint: "{dead}"}}
  - name: broken
    format: iceberg
    catalog: {{type: sql, uri: "{lake.catalog_uri}", s3.endpoint: "{dead}"}}
""",
        )
        report = sync(sqlite_store, settings)
    errors = {e.table: e.error for e in report.errors}
    assert set(errors) == {"gone", "gone_root", "broken.raw.other"}
    for name, error in errors.items():
        assert "\n" not in error and name in error, error
    assert errors["gone"].startswith(f"source gone: cannot list s3://{lake.bucket}/delta: ")
    assert errors["broken.raw.other"].startswith("broken.raw.other: cannot read metadata: ")
    assert sorted(str(t.ref) for t in history.list_tables(sqlite_store)) == sorted(DELTA_REFS)


def test_reproduce_and_verify_read_the_pinned_data_from_object_storage(
    lake: Lake, tmp_path: Path
) -> None:
    """Each kind of source reads its data through its own options: a catalog's FileIO keys,
    a root's or table list's storage options."""
    from temporal_lineage.query.pinning import pinned_tables
    from temporal_lineage.query.provenance import provenance
    from temporal_lineage.query.reproduce import build_manifest, verify_manifest
    from temporal_lineage.sources.factory import read_options

    lake.build()
    settings = lake.write_config(f"sqlite:///{tmp_path / 'store.db'}")
    store = open_store(settings.store_url)
    try:
        assert sync(store, settings).errors == []
        options = {source.name: read_options(source) for source in settings.sources}
        assert options["lake"]["s3.endpoint"] == lake.endpoint
        assert "uri" not in options["lake"]  # catalog connection details stay out
        for ref in (*ICEBERG_REFS, "deltas.users"):
            closure = provenance(store, TableRef.from_user_string(ref), datetime.now(UTC))
            pinned = pinned_tables(store, settings, closure)
            manifest = build_manifest(
                pinned, root=ref, as_of=datetime.now(UTC), known_at=None, store=store.url
            )
            assert [t.get("error") for t in manifest["tables"]] == [None], ref
            assert manifest["tables"][0]["row_count"] == 6, ref
            verified = verify_manifest(manifest, storage_options=options)
            assert verified["ok"], (ref, verified)
    finally:
        store.close()
