"""The store's schema: every table, column and named index (alembic migrates to this)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from temporal_lineage.commit_keys import KEY_VALUE_WIDTH
from temporal_lineage.storable import OPERATION_WIDTH, REF_NAME_WIDTH
from temporal_lineage.store.columns import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _recorded_at() -> Column[object]:
    """Transaction time: when this fact entered the store (``--known-at`` filters on it)."""
    return Column("recorded_at", UtcDateTime(), nullable=False)


sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("format", String(16), nullable=False),
    _recorded_at(),
)

tables = Table(
    "tables",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("identifier", String(1000), nullable=False),
    Column("format", String(16), nullable=False),
    Column("location", Text, nullable=False),
    Column("cursor", Text, nullable=True),
    Column("current_incarnation_id", Integer, nullable=True),
    Column("dropped_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    UniqueConstraint("source_id", "identifier"),
)

incarnations = Table(
    "incarnations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", ForeignKey("tables.id"), nullable=False),
    Column("uuid", String(200), nullable=False),
    Column("location", Text, nullable=False),
    Column("format_version", Integer, nullable=True),
    _recorded_at(),
    UniqueConstraint("table_id", "uuid"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=False),
    Column("snapshot_id", BigInteger, nullable=False),
    Column("parent_id", BigInteger, nullable=True),
    Column("sequence_number", BigInteger, nullable=True),
    Column("committed_at", UtcDateTime(), nullable=False),
    Column("operation", String(OPERATION_WIDTH), nullable=True),
    Column("schema_id", Integer, nullable=True),
    Column("summary", JSON, nullable=False),
    Column("expired_in_source", UtcDateTime(), nullable=True),
    _recorded_at(),
    Column("branch", String(REF_NAME_WIDTH), nullable=True),  # written only on this branch
    UniqueConstraint("incarnation_id", "snapshot_id"),
)

heads = Table(
    "heads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", ForeignKey("tables.id"), nullable=False),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=True),
    Column("snapshot_id", BigInteger, nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    _recorded_at(),
    ForeignKeyConstraint(
        ["incarnation_id", "snapshot_id"], ["snapshots.incarnation_id", "snapshots.snapshot_id"]
    ),
    # "head of T as of A" is one seek on this index: (table_id = T, started_at <= A) desc.
    # A row with no snapshot says the table was gone (dropped) from started_at on.
    Index("ix_heads_table_started", "table_id", "started_at", "id"),
)

refs = Table(
    "refs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", ForeignKey("tables.id"), nullable=False),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=False),
    Column("name", String(REF_NAME_WIDTH), nullable=False),
    Column("kind", String(8), nullable=False),  # branch, tag
    # None: the ref was removed from started_at on.
    Column("snapshot_id", BigInteger, nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("max_ref_age_ms", BigInteger, nullable=True),
    Column("max_snapshot_age_ms", BigInteger, nullable=True),
    Column("min_snapshots_to_keep", Integer, nullable=True),
    _recorded_at(),
    # "ref R of T as of A" is one seek: (table_id = T, name = R, started_at <= A) desc.
    Index("ix_refs_table_name_started", "table_id", "name", "started_at", "id"),
)

schema_versions = Table(
    "schema_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=False),
    Column("schema_id", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    _recorded_at(),
    UniqueConstraint("incarnation_id", "schema_id"),
)

schema_fields = Table(
    "schema_fields",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schema_version_pk", ForeignKey("schema_versions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("field_id", Integer, nullable=True),
    Column("path", JSON, nullable=False),
    Column("type", Text, nullable=False),
    Column("nullable", Boolean, nullable=False),
    Column("doc", Text, nullable=True),
    Column("physical_name", String(1000), nullable=True),
    _recorded_at(),
    Index("ix_schema_fields_version", "schema_version_pk", "position"),
)

schema_heads = Table(
    "schema_heads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", ForeignKey("tables.id"), nullable=False),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=True),
    Column("schema_version_pk", ForeignKey("schema_versions.id"), nullable=True),
    Column("effective_at", UtcDateTime(), nullable=False),
    Column("dated_by", String(32), nullable=False),
    Column("snapshot_id", BigInteger, nullable=True),
    _recorded_at(),
    Index("ix_schema_heads_table_effective", "table_id", "effective_at", "id"),
)

schema_changes = Table(
    "schema_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schema_head_pk", ForeignKey("schema_heads.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("field_id", Integer, nullable=True),
    Column("path", JSON, nullable=False),
    Column("old_path", JSON, nullable=True),
    Column("old_type", Text, nullable=True),
    Column("new_type", Text, nullable=True),
    Column("hint", String(200), nullable=True),
    _recorded_at(),
    Index("ix_schema_changes_head", "schema_head_pk"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(200), nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("tables_checked", Integer, nullable=False, default=0),
    Column("snapshots_added", Integer, nullable=False, default=0),
    Column("schema_versions_added", Integer, nullable=False, default=0),
    Column("errors", JSON, nullable=False),
    Column("worker", String(200), nullable=True),
    Column("failed", Boolean, nullable=True),  # the pass raised or a source could not be listed
    _recorded_at(),
    Index("ix_sync_runs_source_started", "source", "started_at"),
)

# -- OpenLineage facts: events as received, and what they say about jobs, runs and datasets.

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fingerprint", String(64), nullable=False, unique=True),  # duplicates are no-ops
    Column("kind", String(16), nullable=False),
    Column("event_type", String(16), nullable=True),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("job_namespace", String(1000), nullable=True),
    Column("job_name", String(1000), nullable=True),
    Column("raw", JSON, nullable=False),
    _recorded_at(),
    Index("ix_events_run", "run_id", "event_time"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("namespace", String(1000), nullable=False),
    Column("name", String(1000), nullable=False),
    _recorded_at(),
    UniqueConstraint("namespace", "name"),
)

job_versions = Table(
    "job_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("code_version", String(200), nullable=True),
    Column("source_url", Text, nullable=True),
    Column("sql", Text, nullable=True),
    Column("sql_dialect", String(64), nullable=True),
    Column("parameters", JSON, nullable=False),
    _recorded_at(),
    UniqueConstraint("job_id", "fingerprint"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("job_id", ForeignKey("jobs.id"), nullable=False),
    Column("parent_run_id", String(64), nullable=True),
    _recorded_at(),
    Index("ix_runs_job", "job_id"),
)

run_states = Table(
    "run_states",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("job_version_id", ForeignKey("job_versions.id"), nullable=True),
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    _recorded_at(),
    Index("ix_run_states_run", "run_id", "event_time"),
)

run_datasets = Table(
    "run_datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("namespace", String(1000), nullable=False),
    Column("name", String(2000), nullable=False),
    Column("version", String(200), nullable=True),
    Column("snapshot_id", BigInteger, nullable=True),
    Column("symlinks", JSON, nullable=False),
    Column("facets", JSON, nullable=False),
    Column("table_id", ForeignKey("tables.id"), nullable=True),
    Column("matched_at", UtcDateTime(), nullable=True),  # when the match became known
    Column("matched_by", String(32), nullable=True),
    _recorded_at(),
    Index("ix_run_datasets_run", "run_id"),
    Index("ix_run_datasets_table", "table_id", "direction"),
    Index("ix_run_datasets_name", "namespace", "name"),
)

run_keys = Table(
    "run_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("key", String(64), nullable=False),
    Column("value", String(KEY_VALUE_WIDTH), nullable=False),
    _recorded_at(),
    UniqueConstraint("run_id", "key", "value"),
    Index("ix_run_keys_value", "key", "value"),
)

snapshot_keys = Table(
    "snapshot_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incarnation_id", ForeignKey("incarnations.id"), nullable=False),
    Column("snapshot_id", BigInteger, nullable=False),
    Column("key", String(64), nullable=False),
    Column("value", String(KEY_VALUE_WIDTH), nullable=False),
    _recorded_at(),
    Index("ix_snapshot_keys_snapshot", "incarnation_id", "snapshot_id"),
    Index("ix_snapshot_keys_value", "key", "value"),
)

column_edges = Table(
    "column_edges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    Column("origin", String(16), nullable=False),  # facet, sql, declared
    Column("output_namespace", String(1000), nullable=False),
    Column("output_name", String(2000), nullable=False),
    Column("output_field", String(1000), nullable=False),
    Column("output_table_id", ForeignKey("tables.id"), nullable=True),
    Column("input_namespace", String(1000), nullable=False),
    Column("input_name", String(2000), nullable=False),
    Column("input_field", String(1000), nullable=False),
    Column("input_table_id", ForeignKey("tables.id"), nullable=True),
    Column("kind", String(16), nullable=False),  # DIRECT, INDIRECT
    Column("subtype", String(32), nullable=True),
    Column("matched_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    Column("masking", Boolean, nullable=True),  # the facet's transformation says so
    Index("ix_column_edges_input", "input_table_id", "input_field"),
    Index("ix_column_edges_output", "output_table_id", "output_field"),
    Index("ix_column_edges_run", "run_id"),
)

# -- Governance: classification tags and owners over time, erasure verifications.

tag_facts = Table(
    "tag_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target", String(8), nullable=False),  # dataset, job, run
    Column("namespace", String(1000), nullable=True),  # the dataset's or the job's
    Column("name", String(2000), nullable=True),
    Column("run_id", String(64), nullable=True),
    Column("table_id", ForeignKey("tables.id"), nullable=True),
    Column("field", String(1000), nullable=True),  # a column's path as given; None: the table
    Column("field_id", Integer, nullable=True),  # resolved when written (manual tags)
    Column("tag", String(200), nullable=False),
    Column("value", String(1000), nullable=True),
    Column("action", String(8), nullable=False),  # add, remove
    Column("origin", String(16), nullable=False),  # openlineage, manual
    Column("source", String(200), nullable=True),  # the facet's source, or who tagged
    Column("reason", Text, nullable=True),
    Column("effective_at", UtcDateTime(), nullable=False),  # valid time
    Column("event_pk", ForeignKey("events.id"), nullable=True),
    Column("matched_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    Index("ix_tag_facts_table", "table_id"),
    Index("ix_tag_facts_dataset", "namespace", "name"),
    Index("ix_tag_facts_tag", "tag"),
)

owner_facts = Table(
    "owner_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target", String(8), nullable=False),  # dataset, job
    Column("namespace", String(1000), nullable=False),
    Column("name", String(2000), nullable=False),
    Column("table_id", ForeignKey("tables.id"), nullable=True),
    Column("owners", JSON, nullable=False),  # [[name, type]], the facet's whole list
    Column("effective_at", UtcDateTime(), nullable=False),
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    Column("matched_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    Index("ix_owner_facts_table", "table_id"),
    Index("ix_owner_facts_name", "target", "namespace", "name"),
)

erasure_checks = Table(
    "erasure_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", ForeignKey("tables.id"), nullable=False),
    Column("predicate", Text, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("method", String(16), nullable=False),  # probe, engine
    Column("report", JSON, nullable=False),
    Column("checked_at", UtcDateTime(), nullable=False),
    _recorded_at(),
    Index("ix_erasure_checks_table", "table_id", "checked_at"),
)

# -- Operations: who read what (principals of runs, Iceberg scan and commit reports) and
# data-quality results of runs, each attached to the dataset it describes.

run_principals = Table(
    "run_principals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # user, engine, owner
    Column("principal", String(1000), nullable=False),
    Column("source", String(64), nullable=False),  # the facet that names it
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    _recorded_at(),
    UniqueConstraint("run_id", "kind", "principal", "source"),
    Index("ix_run_principals_principal", "principal"),
)

scan_reports = Table(
    "scan_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_kind", String(8), nullable=False),  # scan, commit
    Column("namespace", String(1000), nullable=False),  # as the REST path gives it
    Column("name", String(2000), nullable=False),
    Column("table_id", ForeignKey("tables.id"), nullable=True),
    Column("snapshot_id", BigInteger, nullable=True),
    Column("schema_id", Integer, nullable=True),
    Column("projected_field_ids", JSON, nullable=False),
    Column("projected_field_names", JSON, nullable=False),
    Column("filter", Text, nullable=True),
    Column("operation", String(OPERATION_WIDTH), nullable=True),  # commit reports
    Column("principal", String(1000), nullable=True),
    Column("metrics", JSON, nullable=False),
    Column("report_metadata", JSON, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),  # when it arrived
    Column("matched_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    Index("ix_scan_reports_table", "table_id", "reported_at"),
    Index("ix_scan_reports_name", "namespace", "name"),
)

quality_facts = Table(
    "quality_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("event_pk", ForeignKey("events.id"), nullable=False),
    Column("direction", String(8), nullable=False),  # input, output, run
    Column("namespace", String(1000), nullable=True),  # the dataset (None: a run facet)
    Column("name", String(2000), nullable=True),
    Column("table_id", ForeignKey("tables.id"), nullable=True),
    Column("snapshot_id", BigInteger, nullable=True),  # as the event pins it
    Column("kind", String(16), nullable=False),  # assertion, metric, test
    Column("check_name", String(1000), nullable=False),
    Column("column_name", String(1000), nullable=True),
    Column("success", Boolean, nullable=True),
    Column("value", JSON, nullable=True),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("matched_at", UtcDateTime(), nullable=True),
    _recorded_at(),
    Index("ix_quality_facts_table", "table_id"),
    Index("ix_quality_facts_run", "run_id"),
    Index("ix_quality_facts_dataset", "namespace", "name"),
)

# -- The service: API tokens (hashed) and table leases shared by sync workers.

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False, unique=True),  # shown in listings
    Column("secret_hash", String(64), nullable=False),  # sha256 of the whole token
    Column("scope", String(16), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    _recorded_at(),
)

table_leases = Table(
    "table_leases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(200), nullable=False),
    Column("identifier", String(1000), nullable=False),
    Column("holder", String(200), nullable=True),
    Column("leased_until", UtcDateTime(), nullable=True),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("last_synced_at", UtcDateTime(), nullable=True),
    Column("last_holder", String(200), nullable=True),
    _recorded_at(),  # when the table was first offered to the workers
    UniqueConstraint("source", "identifier"),
    Index("ix_table_leases_source_due", "source", "due_at"),
)
