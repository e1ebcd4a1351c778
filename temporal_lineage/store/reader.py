"""The store's reader: one object, bound to one read transaction, whose methods take typed
keys (table refs, stored tables, snapshot and run ids) and return model values.

Queries, reports, the API and the CLI read the store through it only, never through a
SQLAlchemy connection: ``with store.reader() as reader: reader.get_table(ref)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from temporal_lineage.model import (
    JobKey,
    RunInfo,
    Schema,
    SchemaAsOf,
    SchemaHistoryEntry,
    StoredRef,
    StoredSnapshot,
    TableInfo,
    TableRef,
)
from temporal_lineage.store import reads, tokens

if TYPE_CHECKING:
    from temporal_lineage.store import (
        access_reads,
        batch_reads,
        edge_reads,
        governance_reads,
        hygiene_reads,
        operations_reads,
        quality_reads,
        ref_reads,
        run_reads,
    )
    from temporal_lineage.store.access_reads import InputRead, RunPrincipal, ScanRead
    from temporal_lineage.store.edge_reads import ColumnEdgeRow
    from temporal_lineage.store.governance_reads import (
        ErasureCheck,
        FieldSighting,
        OwnerFact,
        TagFact,
    )
    from temporal_lineage.store.hygiene_reads import HygieneReads
    from temporal_lineage.store.quality_reads import QualityFact
    from temporal_lineage.store.reads import StoredTable
    from temporal_lineage.store.run_reads import RunDataset
    from temporal_lineage.store.tokens import TokenInfo
else:  # imported on first use: a command needs one or two of them
    from temporal_lineage.store.lazy_module import LazyModule

    access_reads = LazyModule("temporal_lineage.store.access_reads")
    batch_reads = LazyModule("temporal_lineage.store.batch_reads")
    edge_reads = LazyModule("temporal_lineage.store.edge_reads")
    governance_reads = LazyModule("temporal_lineage.store.governance_reads")
    hygiene_reads = LazyModule("temporal_lineage.store.hygiene_reads")
    operations_reads = LazyModule("temporal_lineage.store.operations_reads")
    quality_reads = LazyModule("temporal_lineage.store.quality_reads")
    ref_reads = LazyModule("temporal_lineage.store.ref_reads")
    run_reads = LazyModule("temporal_lineage.store.run_reads")


class StoreReader:
    """Reads of one store connection (one consistent view while the block lasts)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def verify_token(self, token: str) -> TokenInfo | None:
        """The live token ``token`` is, or None (unknown or revoked)."""
        return tokens.verify_token(self.conn, token)

    def list_tokens(self) -> list[TokenInfo]:
        """Every token, live or revoked (never a secret)."""
        return tokens.list_tokens(self.conn)

    def get_table(self, ref: TableRef) -> StoredTable:
        """The stored table ``ref``."""
        return reads.get_table(self.conn, ref)

    def find_table(self, ref: TableRef) -> StoredTable | None:
        """The stored table ``ref``, or None."""
        return reads.find_table(self.conn, ref)

    def list_tables(self, known_at: datetime | None = None) -> list[TableInfo]:
        """Every table the store knows, with its snapshot count and current snapshot."""
        return reads.list_tables(self.conn, known_at)

    def list_snapshots(
        self, table: StoredTable, known_at: datetime | None = None
    ) -> list[StoredSnapshot]:
        """Every snapshot of every incarnation of the table, oldest incarnation first."""
        return reads.list_snapshots(self.conn, table, known_at)

    def find_snapshot(
        self,
        table: StoredTable,
        snapshot_id: int,
        known_at: datetime | None = None,
        *,
        before: datetime | None = None,
        incarnation: str | None = None,
    ) -> StoredSnapshot | None:
        """Snapshot ``snapshot_id`` of the table (of the latest incarnation that has it by then,
        or of ``incarnation``)."""
        return reads.find_snapshot(
            self.conn, table, snapshot_id, known_at, before=before, incarnation=incarnation
        )

    def head_as_of(
        self, table: StoredTable, as_of: datetime, known_at: datetime | None = None
    ) -> StoredSnapshot | None:
        """The table's current snapshot at ``as_of`` (the head whose start is the latest <= A)."""
        return reads.head_as_of(self.conn, table, as_of, known_at)

    def snapshot_in(
        self, incarnation_id: int, snapshot_id: int, known_at: datetime | None = None
    ) -> StoredSnapshot | None:
        """Snapshot ``snapshot_id`` of one incarnation (by its store key), if stored."""
        return reads.snapshot_in(self.conn, incarnation_id, snapshot_id, known_at)

    def incarnation_as_of(
        self, table: StoredTable, as_of: datetime, known_at: datetime | None = None
    ) -> int | None:
        """The store key of the table's incarnation alive at ``as_of`` (None: none was)."""
        return reads.incarnation_as_of(self.conn, table, as_of, known_at)

    def current_incarnation(self, table: StoredTable) -> str | None:
        """The uuid of the incarnation the source has now (None once the table was dropped)."""
        return reads.current_incarnation(self.conn, table)

    def schema_as_of(
        self, table: StoredTable, as_of: datetime, known_at: datetime | None = None
    ) -> SchemaAsOf | None:
        """The table's current schema at ``as_of`` (latest schema change at or before it)."""
        return reads.schema_as_of(self.conn, table, as_of, known_at)

    def schema_by_id(self, table: StoredTable, incarnation: str, schema_id: int) -> Schema | None:
        """Schema ``schema_id`` of one incarnation of the table."""
        return reads.schema_by_id(self.conn, table, incarnation, schema_id)

    def schema_history(
        self, table: StoredTable, known_at: datetime | None = None
    ) -> list[SchemaHistoryEntry]:
        """Every schema the table had, in time order, with the changes from the one before."""
        return reads.schema_history(self.conn, table, known_at)

    def table_cursor(self, table: StoredTable) -> str | None:
        """Where the table's last read stopped (its format's own cursor, e.g. a metadata file)."""
        return reads.table_cursor(self.conn, table)

    def run_infos(self, run_ids: Collection[str], known_at: datetime | None) -> dict[str, RunInfo]:
        """Each run's job, state, window and code identity from the events known at ``known_at``."""
        return run_reads.run_infos(self.conn, run_ids, known_at)

    def run_datasets(
        self,
        run_ids: Collection[str],
        known_at: datetime | None,
        direction: str | None = None,
    ) -> list[RunDataset]:
        """The datasets these runs read and wrote (a table only once its match was known)."""
        return run_reads.run_datasets(self.conn, run_ids, known_at, direction)

    def runs_touching(
        self, table_ids: Collection[int], direction: str, known_at: datetime | None
    ) -> dict[int, set[str]]:
        """The runs that read (``input``) or wrote (``output``) each table."""
        return run_reads.runs_touching(self.conn, table_ids, direction, known_at)

    def runs_of_jobs(
        self, jobs: Collection[JobKey], known_at: datetime | None
    ) -> dict[JobKey, list[RunInfo]]:
        """Every run of these jobs known at ``known_at``."""
        return run_reads.runs_of_jobs(self.conn, jobs, known_at)

    def jobs_of_runs(self, run_ids: Collection[str], known_at: datetime | None) -> set[JobKey]:
        """The jobs these runs belong to (one light query, no states)."""
        return run_reads.jobs_of_runs(self.conn, run_ids, known_at)

    def stored_tables(self, table_ids: Collection[int]) -> dict[int, StoredTable]:
        """Table rows by id."""
        return run_reads.stored_tables(self.conn, table_ids)

    def snapshot_keys_of(
        self, wanted: Mapping[tuple[int, str], Collection[int]], known_at: datetime | None
    ) -> dict[tuple[int, str, int], list[tuple[str, str]]]:
        """The run-naming keys of many commits: (table id, incarnation) -> snapshot ids in,
        (table id, incarnation, snapshot id) -> keys out."""
        return run_reads.snapshot_keys_of(self.conn, wanted, known_at)

    def runs_with_keys(
        self, keys: Collection[tuple[str, str]], known_at: datetime | None
    ) -> dict[tuple[str, str], set[str]]:
        """The runs whose events carried these engine ids (or whose id is the value, for run_id)."""
        return run_reads.runs_with_keys(self.conn, keys, known_at)

    def ref_history(self, table: StoredTable, known_at: datetime | None = None) -> list[StoredRef]:
        """Every state every ref of the table had, oldest first, each with when it ended."""
        return ref_reads.ref_history(self.conn, table, known_at)

    def refs_in(
        self,
        table: StoredTable,
        incarnation_id: int,
        as_of: datetime,
        known_at: datetime | None = None,
    ) -> list[StoredRef]:
        """The refs of one incarnation (by its store key) alive at ``as_of``, by name."""
        return ref_reads.refs_in(self.conn, table, incarnation_id, as_of, known_at)

    def refs_as_of(
        self, table: StoredTable, as_of: datetime, known_at: datetime | None = None
    ) -> list[StoredRef]:
        """The refs alive at ``as_of`` in the incarnation alive then, by name."""
        return ref_reads.refs_as_of(self.conn, table, as_of, known_at)

    def ref_names(self, table: StoredTable, known_at: datetime | None = None) -> set[str]:
        """Every ref name the table ever had (in any incarnation)."""
        return ref_reads.ref_names(self.conn, table, known_at)

    def column_edges_from(
        self, table_ids: set[int], known_at: datetime | None
    ) -> list[ColumnEdgeRow]:
        """Every column edge whose input is one of these tables."""
        return edge_reads.column_edges_from(self.conn, table_ids, known_at)

    def heads_as_of(
        self, wanted: Sequence[tuple[StoredTable, datetime]], known_at: datetime | None = None
    ) -> list[StoredSnapshot | None]:
        """``head_as_of`` of each (table, instant), in order, in one statement per batch."""
        return batch_reads.heads_as_of(self.conn, wanted, known_at)

    def snapshots_before(
        self,
        wanted: Sequence[tuple[StoredTable, int, datetime | None]],
        known_at: datetime | None = None,
    ) -> list[StoredSnapshot | None]:
        """``find_snapshot(table, id, before=...)`` of each key, in order, batched."""
        return batch_reads.snapshots_before(self.conn, wanted, known_at)

    def schemas_as_of(
        self, wanted: Sequence[tuple[StoredTable, datetime]], known_at: datetime | None = None
    ) -> list[SchemaAsOf | None]:
        """``schema_as_of`` of each (table, instant), in order, batched."""
        return batch_reads.schemas_as_of(self.conn, wanted, known_at)

    def column_edges_into(
        self, table_ids: Collection[int], known_at: datetime | None
    ) -> list[ColumnEdgeRow]:
        """Every column edge whose output is one of these tables."""
        return edge_reads.column_edges_into(self.conn, set(table_ids), known_at)

    def tag_facts(
        self, tables: Collection[StoredTable] | None, until: datetime, known_at: datetime | None
    ) -> list[TagFact]:
        """Tag facts of these tables (None: of every table) in effect by ``until``."""
        ids = None if tables is None else {tb.table_id for tb in tables}
        return governance_reads.tag_facts(self.conn, ids, until, known_at)

    def field_sightings(
        self, tables: Collection[StoredTable], until: datetime, known_at: datetime | None
    ) -> list[FieldSighting]:
        """Every field of every schema these tables had by ``until``."""
        return governance_reads.field_sightings(
            self.conn, {tb.table_id for tb in tables}, until, known_at
        )

    def owner_facts(
        self,
        tables: Collection[StoredTable],
        jobs: Collection[JobKey],
        until: datetime,
        known_at: datetime | None,
    ) -> list[OwnerFact]:
        """The ownership facets of these tables and jobs stated by ``until``."""
        return governance_reads.owner_facts(
            self.conn, {tb.table_id for tb in tables}, jobs, until, known_at
        )

    def erasure_checks(self, table: StoredTable, known_at: datetime | None) -> list[ErasureCheck]:
        """The erasure verifications recorded for ``table``."""
        return governance_reads.erasure_checks(self.conn, table, known_at)

    def all_tables(self) -> list[StoredTable]:
        """Every stored table."""
        return governance_reads.all_tables(self.conn)

    def hygiene(self) -> HygieneReads:
        """The whole-store reads of the cost-hygiene report (``store/hygiene_reads.py``)."""
        return hygiene_reads.HygieneReads(self.conn)

    def input_reads(
        self,
        tables: Collection[StoredTable],
        start: datetime | None,
        until: datetime | None,
        known_at: datetime | None,
    ) -> list[InputRead]:
        """Each run that read one of these tables in [start, until] (dated by its start)."""
        ids = {tb.table_id for tb in tables}
        return access_reads.input_reads(self.conn, ids, start, until, known_at)

    def scan_reads(
        self,
        tables: Collection[StoredTable],
        start: datetime | None,
        end: datetime | None,
        known_at: datetime | None,
    ) -> list[ScanRead]:
        """The Iceberg scan reports of these tables received in [start, end]."""
        ids = {tb.table_id for tb in tables}
        return access_reads.scan_reads(self.conn, ids, start, end, known_at)

    def run_principals(
        self, run_ids: Collection[str], known_at: datetime | None
    ) -> dict[str, list[RunPrincipal]]:
        """The principals (user, engine, owner) the facets of these runs name."""
        return access_reads.run_principals(self.conn, run_ids, known_at)

    def column_inputs(
        self, table: StoredTable, run_ids: Collection[str], known_at: datetime | None
    ) -> dict[str, set[str]]:
        """The columns of ``table`` these runs' column lineage took, per run."""
        return access_reads.column_inputs(self.conn, table.table_id, run_ids, known_at)

    def last_reads(
        self, start: datetime, end: datetime, known_at: datetime | None
    ) -> dict[int, datetime]:
        """The last read in [start, end] of every table read then (by table id)."""
        return access_reads.last_reads(self.conn, start, end, known_at)

    def last_commits(
        self,
        as_of: datetime,
        known_at: datetime | None = None,
        tables: Collection[StoredTable] | None = None,
    ) -> dict[int, datetime | None]:
        """The commit time of each table's head as of ``as_of`` (None: dropped), by table id,
        for these tables (None: every table), in one statement."""
        ids = None if tables is None else {tb.table_id for tb in tables}
        return operations_reads.last_commits(self.conn, as_of, known_at, ids)

    def run_facets(
        self, run_ids: Collection[str], known_at: datetime | None
    ) -> dict[str, list[Mapping[str, Any]]]:
        """The ``run.facets`` of every event of these runs, oldest first."""
        return operations_reads.run_facets(self.conn, run_ids, known_at)

    def run_windows(self, known_at: datetime | None) -> dict[JobKey, list[RunInfo]]:
        """Every run of every job with its state and window (no code identity)."""
        return operations_reads.run_windows(self.conn, known_at)

    def run_tables(
        self, run_ids: Collection[str], known_at: datetime | None
    ) -> list[tuple[str, str, int]]:
        """(run id, direction, table id) of these runs' datasets matched to tables."""
        return operations_reads.run_tables(self.conn, run_ids, known_at)

    def quality_facts(
        self,
        tables: Collection[StoredTable],
        *,
        since: datetime | None,
        until: datetime,
        known_at: datetime | None,
        failed_only: bool = False,
    ) -> list[QualityFact]:
        """The data-quality results about these tables stated in [since, until], and the
        run-level ones of the runs that read or wrote them."""
        ids = {tb.table_id for tb in tables}
        return quality_reads.quality_facts(
            self.conn, ids, since=since, until=until, known_at=known_at, failed_only=failed_only
        )

    def snapshots_between(
        self,
        tables: Collection[StoredTable],
        since: datetime,
        until: datetime,
        known_at: datetime | None,
    ) -> dict[int, list[StoredSnapshot]]:
        """The snapshots of these tables committed in [since, until], by table id."""
        ids = {tb.table_id for tb in tables}
        return quality_reads.snapshots_between(self.conn, ids, since, until, known_at)

    def schema_changes_between(
        self,
        tables: Collection[StoredTable],
        since: datetime,
        until: datetime,
        known_at: datetime | None,
    ) -> dict[int, list[SchemaHistoryEntry]]:
        """The schema versions of these tables that took effect in [since, until], by id."""
        ids = {tb.table_id for tb in tables}
        return quality_reads.schema_changes_between(self.conn, ids, since, until, known_at)

    def run_starts(
        self, run_ids: Collection[str], known_at: datetime | None
    ) -> dict[str, datetime]:
        """Each run's start (its first event's time), without the rest of ``run_infos``."""
        return quality_reads.run_starts(self.conn, run_ids, known_at)
