"""Persisting validated OpenLineage events: raw (replayable) and normalised, idempotently."""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select, tuple_

from temporal_lineage import jsontext
from temporal_lineage.model import RunState, Schema, TableRef
from temporal_lineage.openlineage.access_facets import scan_projection
from temporal_lineage.openlineage.validate import FieldError
from temporal_lineage.store import bulk
from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import check_widths
from temporal_lineage.store.matching import DatasetMatcher
from temporal_lineage.store.prepared import prepared
from temporal_lineage.store.table_schemas import TableSchemas
from temporal_lineage.store.upsert import insert_new

if TYPE_CHECKING:
    from temporal_lineage.openlineage.column_edges import EventEdge
    from temporal_lineage.openlineage.events import (
        DatasetName,
        DatasetObservation,
        DeclaredOwner,
        DeclaredTag,
        ParsedEvent,
        QualityResult,
    )
    from temporal_lineage.store.database import Store

_FINGERPRINTS_PER_QUERY = 500


class WriteCache:
    """What the event writes of one store learn that stays true across transactions: the ids
    of jobs and job versions (never updated nor deleted) and the dataset matcher (rebuilt
    when the stored tables change).

    A request of one event otherwise paid for the matcher's two queries over every table and
    for looking its job and version up again (bench/http_service.py).
    """

    def __init__(self) -> None:
        self.jobs: dict[tuple[str, str], int] = {}
        self.versions: dict[tuple[tuple[str, str], str], int] = {}
        self._matcher: DatasetMatcher | None = None
        self._tables_state: tuple[Any, ...] | None = None

    def matcher(self, conn: Connection, db: bulk.Driver) -> DatasetMatcher:
        """The matcher of the tables stored now (one small query when they did not change)."""
        state = tuple(db.all(_tables_state_sql(conn))[0])
        if self._matcher is None or state != self._tables_state:
            self._matcher = DatasetMatcher(conn)
            self._tables_state = state
        return self._matcher

    def keep(self, writer: EventWriter) -> None:
        """Remember the ids ``writer`` learned (call once its transaction has committed)."""
        self.jobs.update(writer.learned_jobs)
        self.versions.update(writer.learned_versions)

    def clear(self) -> None:
        """Forget everything (after a failed transaction: the database may not be the one the
        ids were learned from)."""
        self.jobs.clear()
        self.versions.clear()
        self._matcher = None
        self._tables_state = None


_CACHES: weakref.WeakKeyDictionary[Store, WriteCache] = weakref.WeakKeyDictionary()


def write_cache(store: Store) -> WriteCache:
    """The ``WriteCache`` of ``store`` (one per open store, made on first use)."""
    found = _CACHES.get(store)
    if found is None:
        found = _CACHES[store] = WriteCache()
    return found


def _tables_state_sql(conn: Connection) -> str:
    """What tells that the matcher's tables changed: counts, newest ids and the total length
    of the table locations (a sync may move a table without a new incarnation)."""
    quote = conn.dialect.identifier_preparer.format_table
    sources, tables, incarnations = quote(t.sources), quote(t.tables), quote(t.incarnations)
    return (
        f"SELECT (SELECT count(*) FROM {sources}), (SELECT max(id) FROM {sources}), "
        f"(SELECT count(*) FROM {tables}), (SELECT max(id) FROM {tables}), "
        f"(SELECT sum(length(location)) FROM {tables}), "
        f"(SELECT count(*) FROM {incarnations}), (SELECT max(id) FROM {incarnations})"
    )


class EventWriter:
    """Writes events within one transaction, caching jobs and runs it has seen."""

    def __init__(self, conn: Connection, now: datetime, cache: WriteCache | None = None) -> None:
        self.conn = conn
        self.now = now
        self._cache = cache if cache is not None else WriteCache()
        # The writes of a transaction go to its driver cursor: SQLAlchemy's execution
        # context cost more than SQLite's own work for a request's few rows.
        self._db = bulk.Driver(conn)
        self.matcher = self._cache.matcher(conn, self._db)
        self._schemas = TableSchemas(conn)
        self._jobs: dict[tuple[str, str], int] = {}
        self._versions: dict[tuple[tuple[str, str], str], int] = {}
        self._new_jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self._new_versions: dict[tuple[tuple[str, str], str], dict[str, Any]] = {}
        self._runs: set[str] = set()
        self._events: list[dict[str, Any]] = []
        self._new_runs: list[dict[str, Any]] = []
        self._states: list[dict[str, Any]] = []
        self._datasets: list[dict[str, Any]] = []
        self._edges: list[dict[str, Any]] = []
        self._keys: list[dict[str, Any]] = []
        self._tags: list[dict[str, Any]] = []
        self._owners: list[dict[str, Any]] = []
        self._quality: list[dict[str, Any]] = []
        self._principals: list[dict[str, Any]] = []

    def known(self, fingerprints: Sequence[str]) -> set[str]:
        """Which of these events are stored already (duplicates are no-ops)."""
        found: set[str] = set()
        mark = bulk.placeholder(self.conn.dialect.name)
        table = self.conn.dialect.identifier_preparer.format_table(t.events)
        for start in range(0, len(fingerprints), _FINGERPRINTS_PER_QUERY):
            chunk = tuple(fingerprints[start : start + _FINGERPRINTS_PER_QUERY])
            sql = (
                f"SELECT fingerprint FROM {table} "
                f"WHERE fingerprint IN ({', '.join([mark] * len(chunk))})"
            )
            found.update(row[0] for row in self._db.all(sql, chunk))
        return found

    @property
    def learned_jobs(self) -> dict[tuple[str, str], int]:
        """The job ids this writer looked up or inserted."""
        return self._jobs

    @property
    def learned_versions(self) -> dict[tuple[tuple[str, str], str], int]:
        """The job version ids this writer looked up or inserted."""
        return self._versions

    def known_table(
        self, dataset: DatasetName, at: datetime
    ) -> tuple[TableRef, Schema | None] | None:
        """The stored table ``dataset`` names, with its schema at ``at`` (None: no match)."""
        found = self.matcher.match(dataset.namespace, dataset.name)
        if found is None:
            return None
        return self._schemas.at(found.table_id, at)

    def write(self, event: ParsedEvent, edges: Sequence[EventEdge]) -> None:
        """Queue one event, everything it says and its column ``edges`` (once per new
        fingerprint; see ``flush``).

        Rows are written in bulk by ``flush``: building one INSERT per row cost four times the
        database's own work at 100,000 events (bench/ingestion.py).

        Raises:
            ValueRefused: the event's job or code version is wider than its column (the
                event cannot be stored; ``flush`` checks the other rows).
        """
        job = event.job
        key = event.fingerprint  # stands for the event's id until ``flush`` knows it
        self._events.append(
            {
                "fingerprint": key,
                "kind": event.kind,
                "event_type": event.event_type,
                "event_time": event.event_time,
                "run_id": event.run_id,
                "job_namespace": job.namespace if job else None,
                "job_name": job.name if job else None,
                "raw": dict(event.raw),
                "recorded_at": self.now,
            }
        )
        self._queue_governance(event, key)
        if job is None:
            return
        job_id = self._job(job.namespace, job.name)
        if event.kind != "run" or event.run_id is None:
            return
        if event.run_id not in self._runs:
            self._runs.add(event.run_id)
            self._new_runs.append(
                {
                    "run_id": event.run_id,
                    "job_id": job_id,
                    "parent_run_id": event.parent_run_id,
                    "recorded_at": self.now,
                }
            )
        version_id = self._job_version(job_id, event)
        state = event.event_type if event.event_type in RunState.__members__ else "OTHER"
        self._states.append(
            {
                "run_id": event.run_id,
                "state": state,
                "event_time": event.event_time,
                "job_version_id": version_id,
                "event_pk": key,
                "recorded_at": self.now,
            }
        )
        self._datasets.extend(
            self._dataset_row(event.run_id, key, direction, observed)
            for direction, observed_list in (("input", event.inputs), ("output", event.outputs))
            for observed in observed_list
        )
        # A column's input dataset is usually one of the run's inputs: match it with the
        # symlinks the run gave for it.
        symlinks = {o.dataset: [[s.namespace, s.name] for s in o.symlinks] for o in event.inputs}
        self._edges.extend(self._edge_row(event.run_id, key, e, symlinks) for e in edges)
        self._quality.extend(self._quality_rows(event, event.run_id, key))
        self._keys.extend(
            {"run_id": event.run_id, "key": name, "value": value, "recorded_at": self.now}
            for name, value in event.engine_ids.items()
        )
        self._principals.extend(
            {
                "run_id": event.run_id,
                "kind": p.kind,
                "principal": p.name,
                "source": p.source,
                "event_pk": key,
                "recorded_at": self.now,
            }
            for p in event.principals
        )

    def flush(self) -> None:
        """Write everything queued since the last flush.

        Raises:
            ValueRefused: a queued text is wider than its column (the transaction must be
                rolled back: ``ingest`` then stores the events one by one).
        """
        if not self._events:
            return
        ids = self._insert_events()
        self._flush_jobs()
        for row in self._new_runs:
            row["job_id"] = self._job_id(row["job_id"])
        for row in self._states:
            if row["job_version_id"] is not None:
                row["job_version_id"] = self._version_id(row["job_version_id"])
        for rows in (
            self._states,
            self._datasets,
            self._edges,
            self._tags,
            self._owners,
            self._principals,
            self._quality,
        ):
            for row in rows:
                row["event_pk"] = ids[row["event_pk"]]
        self._insert(t.runs, self._new_runs, ("run_id",))
        for table, rows in (
            (t.run_states, self._states),
            (t.run_datasets, self._datasets),
            (t.column_edges, self._edges),
            (t.tag_facts, self._tags),
            (t.owner_facts, self._owners),
            (t.quality_facts, self._quality),
        ):
            self._insert(table, rows)
        self._insert(t.run_keys, self._keys, ("run_id", "key", "value"))
        self._insert(t.run_principals, self._principals, ("run_id", "kind", "principal", "source"))
        self._principals.clear()
        for queue in (
            self._events,
            self._new_runs,
            self._states,
            self._datasets,
            self._edges,
            self._tags,
            self._owners,
            self._quality,
        ):
            queue.clear()
        self._keys.clear()

    def _insert_events(self) -> dict[str, int]:
        """Insert the queued events; their ids by fingerprint."""
        columns = tuple(self._events[0])
        statement = prepared(self.conn, t.events, columns, returning=("id", "fingerprint"))
        return {fp: pk for pk, fp in statement.returned(self._db, self._events)}

    def _insert(
        self, table: Table, rows: list[dict[str, Any]], unique: tuple[str, ...] = ()
    ) -> None:
        """Insert queued rows (all of one shape), skipping stored ``unique`` keys if given.

        The driver's executemany of a statement built once: SQLAlchemy's own executemany
        cost more than the database's work per row (bench/ingestion.py).
        """
        if rows:
            prepared(self.conn, table, tuple(rows[0]), conflict=unique).run(self._db, rows)

    def _job_id(self, key: tuple[str, str]) -> int:
        found = self._jobs.get(key)
        return found if found is not None else self._cache.jobs[key]

    def _version_id(self, key: tuple[tuple[str, str], str]) -> int:
        found = self._versions.get(key)
        return found if found is not None else self._cache.versions[key]

    def _queue_governance(self, event: ParsedEvent, key: str) -> None:
        """The tags and owners the event's facets state, as facts from its event time."""
        observed = [*event.inputs, *event.outputs, *([event.dataset] if event.dataset else [])]
        for dataset in observed:
            symlinks = [[s.namespace, s.name] for s in dataset.symlinks]
            found = self.matcher.match(dataset.namespace, dataset.name, symlinks)
            where = {
                "namespace": dataset.namespace,
                "name": dataset.name,
                "table_id": found.table_id if found else None,
                "matched_at": self.now if found else None,
            }
            self._tags.extend(
                self._tag_row(event, key, "dataset", tag, where) for tag in dataset.tags
            )
            if dataset.owners is not None:
                self._owners.append(self._owner_row(event, key, "dataset", dataset.owners, where))
        job = event.job
        if job is None:
            return
        job_where = {"namespace": job.namespace, "name": job.name}
        self._tags.extend(
            self._tag_row(event, key, "job", tag, job_where) for tag in event.job_tags
        )
        run_where = {**job_where, "run_id": event.run_id}
        self._tags.extend(
            self._tag_row(event, key, "run", tag, run_where) for tag in event.run_tags
        )
        if event.job_owners is not None:
            self._owners.append(self._owner_row(event, key, "job", event.job_owners, job_where))

    def _tag_row(
        self,
        event: ParsedEvent,
        key: str,
        target: str,
        tag: DeclaredTag,
        where: Mapping[str, Any],
    ) -> dict[str, Any]:
        return {
            "target": target,
            "run_id": None,
            "table_id": None,
            "matched_at": None,
            "field_id": None,
            "reason": None,
            **where,
            "field": tag.field if target == "dataset" else None,
            "tag": tag.key,
            "value": tag.value,
            "action": "add",
            "origin": "openlineage",
            "source": tag.source,
            "effective_at": event.event_time,
            "event_pk": key,
            "recorded_at": self.now,
        }

    def _owner_row(
        self,
        event: ParsedEvent,
        key: str,
        target: str,
        owners: Sequence[DeclaredOwner],
        where: Mapping[str, Any],
    ) -> dict[str, Any]:
        return {
            "target": target,
            "table_id": None,
            "matched_at": None,
            **where,
            "owners": [[o.name, o.type] for o in owners],
            "effective_at": event.event_time,
            "event_pk": key,
            "recorded_at": self.now,
        }

    def _quality_rows(self, event: ParsedEvent, run_id: str, key: str) -> list[dict[str, Any]]:
        """The data-quality results of a run event: each dataset's (matched to its table,
        with the snapshot the event pins) and the run's own ``test`` facet."""
        rows: list[dict[str, Any]] = []
        base = {"run_id": run_id, "event_pk": key, "event_time": event.event_time}
        for direction, observed_list in (("input", event.inputs), ("output", event.outputs)):
            for observed in observed_list:
                if not observed.quality:
                    continue
                symlinks = [[s.namespace, s.name] for s in observed.symlinks]
                found = self.matcher.match(observed.namespace, observed.name, symlinks)
                where = {
                    **base,
                    "direction": direction,
                    "namespace": observed.namespace,
                    "name": observed.name,
                    "table_id": found.table_id if found else None,
                    "matched_at": self.now if found else None,
                    "snapshot_id": _pinned(observed),
                }
                rows.extend(self._quality_row(where, result) for result in observed.quality)
        run_where = {
            **base,
            "direction": "run",
            "namespace": None,
            "name": None,
            "table_id": None,
            "matched_at": None,
            "snapshot_id": None,
        }
        rows.extend(self._quality_row(run_where, result) for result in event.run_quality)
        return rows

    def _quality_row(self, where: Mapping[str, Any], result: QualityResult) -> dict[str, Any]:
        return {
            **where,
            "kind": result.kind,
            "check_name": result.check,
            "column_name": result.column,
            "success": result.success,
            "value": result.value,
            "recorded_at": self.now,
        }

    def _job(self, namespace: str, name: str) -> tuple[str, str]:
        """Queue a job; its key stands for its id until ``flush``."""
        key = (namespace, name)
        if key not in self._jobs and key not in self._new_jobs and key not in self._cache.jobs:
            row = {"namespace": namespace, "name": name, "recorded_at": self.now}
            check_widths(t.jobs, [row])
            self._new_jobs[key] = row
        return key

    def _job_version(
        self, job: tuple[str, str], event: ParsedEvent
    ) -> tuple[tuple[str, str], str] | None:
        """Queue a job version (code identity); its key stands for its id until ``flush``."""
        identity = {
            "code_version": event.code_version,
            "source_url": event.source_url,
            "sql": event.sql,
            "parameters": dict(sorted(event.parameters.items())),
        }
        if not any(identity.values()):
            return None
        digest = hashlib.sha256(jsontext.dumps(identity).encode()).hexdigest()
        key = (job, digest)
        known = self._versions, self._new_versions, self._cache.versions
        if all(key not in versions for versions in known):
            check_widths(
                t.job_versions,
                [{"code_version": event.code_version, "sql_dialect": event.sql_dialect}],
            )
            self._new_versions[key] = {
                "job_id": job,
                "fingerprint": digest,
                "code_version": event.code_version,
                "source_url": event.source_url,
                "sql": event.sql,
                "sql_dialect": event.sql_dialect,
                "parameters": identity["parameters"],
                "recorded_at": self.now,
            }
        return key

    def _flush_jobs(self) -> None:
        """Insert new jobs and versions (racing writers tolerated), then learn their ids."""
        if self._new_jobs:
            self.conn.execute(
                insert_new(self.conn, t.jobs, ("namespace", "name")), list(self._new_jobs.values())
            )
            wanted = list(self._new_jobs)
            for start in range(0, len(wanted), 400):
                chunk = wanted[start : start + 400]
                for pk, namespace, name in self.conn.execute(
                    select(t.jobs.c.id, t.jobs.c.namespace, t.jobs.c.name).where(
                        tuple_(t.jobs.c.namespace, t.jobs.c.name).in_(chunk)
                    )
                ):
                    self._jobs[(namespace, name)] = pk
            self._new_jobs.clear()
        if self._new_versions:
            rows = [
                {**row, "job_id": self._job_id(row["job_id"])}
                for row in self._new_versions.values()
            ]
            keys = ("job_id", "fingerprint")
            self.conn.execute(insert_new(self.conn, t.job_versions, keys), rows)
            wanted_versions = [(self._job_id(job), digest) for job, digest in self._new_versions]
            by_id = {self._job_id(job): job for job, _ in self._new_versions}
            pair = tuple_(t.job_versions.c.job_id, t.job_versions.c.fingerprint)
            for start in range(0, len(wanted_versions), 400):
                version_chunk = wanted_versions[start : start + 400]
                query = select(
                    t.job_versions.c.id, t.job_versions.c.job_id, t.job_versions.c.fingerprint
                ).where(pair.in_(version_chunk))
                for pk, job_id, digest in self.conn.execute(query):
                    self._versions[(by_id[job_id], digest)] = pk
            self._new_versions.clear()

    def _edge_row(
        self,
        run_id: str,
        event_pk: int | str,
        edge: EventEdge,
        symlinks: Mapping[DatasetName, list[list[str]]],
    ) -> dict[str, Any]:
        output = self.matcher.match(edge.output.namespace, edge.output.name)
        found = self.matcher.match(
            edge.input.namespace, edge.input.name, symlinks.get(edge.input, [])
        )
        return {
            "run_id": run_id,
            "event_pk": event_pk,
            "origin": edge.origin.value,
            "output_namespace": edge.output.namespace,
            "output_name": edge.output.name,
            "output_field": edge.output_field,
            "output_table_id": output.table_id if output else None,
            "input_namespace": edge.input.namespace,
            "input_name": edge.input.name,
            "input_field": edge.input_field,
            "input_table_id": found.table_id if found else None,
            "kind": edge.kind,
            "subtype": edge.subtype,
            "masking": edge.masking,
            "matched_at": self.now if (output or found) else None,
            "recorded_at": self.now,
        }

    def _dataset_row(
        self, run_id: str, event_pk: int | str, direction: str, observed: DatasetObservation
    ) -> dict[str, Any]:
        symlinks = [[s.namespace, s.name] for s in observed.symlinks]
        found = self.matcher.match(observed.namespace, observed.name, symlinks)
        return {
            "run_id": run_id,
            "event_pk": event_pk,
            "direction": direction,
            "namespace": observed.namespace,
            "name": observed.name,
            "version": observed.version,
            "snapshot_id": observed.snapshot_id,
            "symlinks": symlinks,
            "facets": _kept_facets(observed),
            "table_id": found.table_id if found else None,
            "matched_at": self.now if found else None,
            "matched_by": found.rule if found else None,
            "recorded_at": self.now,
        }


def _pinned(observed: DatasetObservation) -> int | None:
    """The snapshot an observation names: its Iceberg report, else a numeric version."""
    if observed.snapshot_id is not None:
        return observed.snapshot_id
    version = observed.version
    if version is not None and version.strip().lstrip("-").isdigit():
        number = int(version)
        return number if -(2**63) <= number < 2**63 else None  # fits the column
    return None


def _kept_facets(observed: DatasetObservation) -> dict[str, Any]:
    """What later answers need from a dataset's facets (the raw event keeps them all)."""
    kept: dict[str, Any] = {}
    if observed.lifecycle_state:
        kept["lifecycle_state"] = observed.lifecycle_state
    if observed.schema is not None:
        kept["schema"] = [f.name for f in observed.schema]
    if observed.column_lineage:
        kept["column_lineage"] = True
    try:
        projected = scan_projection(observed.facets)
    except FieldError:  # a malformed projection is not kept (the raw event still has it)
        projected = None
    if projected is not None:
        kept["projected"] = projected
    return kept
