"""JobRun: the OpenLineage events of one run of a job that writes with pyiceberg or deltalake."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import RunFacet
from openlineage.client.uuid import generate_new_uuid

from temporal_lineage.errors import LineageError
from temporal_lineage.instrument.columns import (
    ColumnMapping,
    OutputColumn,
    merge_columns,
    output_columns,
)
from temporal_lineage.instrument.datasets import (
    DatasetLike,
    DatasetRef,
    RecordedDataset,
    dataset_ref,
)
from temporal_lineage.instrument.facets import (
    PARAMETERS_FACET,
    PRODUCER,
    ParentRun,
    dataset_facets,
    error_facet,
    event_time,
    job_facets,
    nominal_time_facet,
    parameters_facet,
    parent_facet,
)
from temporal_lineage.instrument.tables import DeltaTableLike, IcebergTableLike

RUN_ID_PROPERTY = "lineage.run-id"
"""Commit property holding the run id (Iceberg snapshot summary, Delta commitInfo)."""


class InstrumentError(LineageError):
    """A JobRun was used out of order (started twice, or recorded into after it ended)."""


class EventEmitter(Protocol):
    """Anything that sends OpenLineage events, such as ``openlineage.client.OpenLineageClient``."""

    def emit(self, event: RunEvent) -> None:
        """Send one event."""


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def _to_ms(moment: datetime) -> datetime:
    """Truncate to whole milliseconds (the precision events and commits carry)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class JobRun:
    """One run of a job: START on enter, COMPLETE on a clean exit, FAIL if the block raises.

    Reads and writes recorded with ``read_*`` / ``wrote_*`` become the run's inputs and
    outputs; with ``emit_versions`` each carries a ``version`` facet holding the Iceberg
    snapshot id or Delta version. ``wrote_*(..., columns={output column: [input columns]})``
    declares the output's column lineage (see ``temporal_lineage.instrument.columns``),
    sent as the ``columnLineage`` facet of that output in the COMPLETE event only (a run
    that fails or is aborted did not produce the declared columns). ``commit_properties()``
    gives the properties that tag a commit with the run id (``snapshot_properties=`` for
    pyiceberg, ``CommitProperties(custom_metadata=...)`` for deltalake). Tables are taken
    duck-typed: this module imports neither pyiceberg nor deltalake.

    Args:
        client: where events go, e.g. an ``OpenLineageClient``.
        namespace: the job namespace.
        job: the job name.
        code_version: git SHA of the job's code (``sourceCodeLocation.version``); needs
            ``source_url``.
        source_url: git repository URL (``sourceCodeLocation.url``).
        sql: the job's SQL text (``sql`` job facet), with ``sql_dialect`` optional.
        parameters: run parameters, sent as the custom ``parameters`` run facet.
        parent: the run that spawned this one (a ParentRun or a JobRun).
        nominal_time: the scheduled time this run stands for (``nominalTime`` facet).
        inputs: datasets known to be read, listed already in the START event.
        outputs: datasets known to be written, listed already in the START event.
        emit_versions: send ``version`` facets (False models a job that reports none).
        tag_commits: let ``commit_properties()`` return the run-id tag (False: ``{}``).
        run_id: the run id, a UUID (default: a fresh ``generate_new_uuid()``, a UUIDv7).
        commit_key: the commit property key of the run-id tag.
        clock: returns the current aware time; event times are truncated to milliseconds.
    """

    def __init__(
        self,
        client: EventEmitter,
        *,
        namespace: str,
        job: str,
        code_version: str | None = None,
        source_url: str | None = None,
        sql: str | None = None,
        sql_dialect: str | None = None,
        parameters: Mapping[str, str] | None = None,
        parent: ParentRun | JobRun | None = None,
        nominal_time: datetime | None = None,
        nominal_end_time: datetime | None = None,
        inputs: Iterable[DatasetLike] = (),
        outputs: Iterable[DatasetLike] = (),
        emit_versions: bool = True,
        tag_commits: bool = True,
        run_id: str | None = None,
        commit_key: str = RUN_ID_PROPERTY,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if code_version is not None and source_url is None:
            raise ValueError("code_version needs source_url: sourceCodeLocation requires a url")
        if not namespace or not job:
            raise ValueError("a job needs a namespace and a name")
        self._client = client
        self.namespace = namespace
        self.job = job
        self.code_version = code_version
        self.source_url = source_url
        self.sql = sql
        self.sql_dialect = sql_dialect
        self.parameters: dict[str, str] = dict(parameters or {})
        self.parent = parent.as_parent() if isinstance(parent, JobRun) else parent
        self.nominal_time = nominal_time
        self.nominal_end_time = nominal_end_time
        self.emit_versions = emit_versions
        self.tag_commits = tag_commits
        self.run_id = str(uuid.UUID(run_id) if run_id is not None else generate_new_uuid())
        self.commit_key = commit_key
        self._clock = clock
        self._inputs: dict[tuple[str, str], RecordedDataset] = {}
        self._outputs: dict[tuple[str, str], RecordedDataset] = {}
        self.state: RunState | None = None
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.error: str | None = None
        for item in inputs:
            self._record(self._inputs, dataset_ref(item), None)
        for item in outputs:
            self._record(self._outputs, dataset_ref(item), None)
        parameters_facet(self.parameters)  # reject bad parameter names now, not at START

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> JobRun:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.ended:  # the block ended the run itself (complete(), fail(), abort())
            return
        if exc is None:
            self.complete()
        elif isinstance(exc, Exception):
            self.fail(exc)
        else:  # KeyboardInterrupt, SystemExit: the run was stopped, not broken
            self.abort()

    def start(self) -> None:
        """Emit START with the inputs and outputs known so far.

        Raises:
            InstrumentError: the run was already started.
        """
        if self.state is not None:
            raise InstrumentError(f"run {self.run_id} of {self.job} was already started")
        self.started_at = _to_ms(self._clock())
        self.state = RunState.START
        self._emit(RunState.START, self.started_at, {})

    def complete(self) -> None:
        """Emit COMPLETE with every input and output."""
        self._end(RunState.COMPLETE, {})

    def fail(self, error: BaseException | str) -> None:
        """Emit FAIL with every input and output and an ``errorMessage`` facet."""
        facet = error_facet(error)
        self.error = facet.message
        self._end(RunState.FAIL, {"errorMessage": facet})

    def abort(self) -> None:
        """Emit ABORT (the run was stopped before it finished)."""
        self._end(RunState.ABORT, {})

    @property
    def ended(self) -> bool:
        """Whether COMPLETE, FAIL or ABORT was emitted."""
        return self.ended_at is not None

    def as_parent(self) -> ParentRun:
        """This run as the parent of other runs (for their ``parent`` facet)."""
        return ParentRun(run_id=self.run_id, namespace=self.namespace, job=self.job)

    def commit_properties(self) -> dict[str, str]:
        """The commit properties that tag a commit with this run (empty when not tagging).

        >>> run_id = "01a20b34-453c-7520-9520-24f659d1ddad"
        >>> JobRun(None, namespace="w", job="j", run_id=run_id).commit_properties()
        {'lineage.run-id': '01a20b34-453c-7520-9520-24f659d1ddad'}
        """
        return {self.commit_key: self.run_id} if self.tag_commits else {}

    # --- inputs and outputs ---------------------------------------------------------------------

    @property
    def inputs(self) -> tuple[RecordedDataset, ...]:
        """The inputs recorded so far, in first-recorded order."""
        return tuple(self._inputs.values())

    @property
    def outputs(self) -> tuple[RecordedDataset, ...]:
        """The outputs recorded so far, in first-recorded order."""
        return tuple(self._outputs.values())

    def read_iceberg(
        self, table: IcebergTableLike, *, dataset: DatasetLike, snapshot_id: int | None = None
    ) -> int | None:
        """Record that the run reads TABLE at SNAPSHOT_ID (default: its current snapshot).

        Returns:
            The snapshot id read, None for a table without snapshots. Scan with
            ``table.scan(snapshot_id=...)`` to read exactly what was recorded.
        """
        if snapshot_id is None:
            current = table.current_snapshot()
            snapshot_id = None if current is None else current.snapshot_id
        self.read(dataset, snapshot_id)
        return snapshot_id

    def read_delta(
        self, table: DeltaTableLike, *, dataset: DatasetLike, version: int | None = None
    ) -> int:
        """Record that the run reads TABLE at VERSION (default: ``table.version()``)."""
        if version is None:
            version = table.version()
        self.read(dataset, version)
        return version

    def read(self, dataset: DatasetLike, version: int | str | None = None) -> None:
        """Record an input dataset, with its version when known."""
        self._record(self._inputs, dataset_ref(dataset), version)

    def wrote_iceberg(
        self,
        table: IcebergTableLike,
        *,
        dataset: DatasetLike,
        snapshot_id: int | None = None,
        columns: ColumnMapping | None = None,
    ) -> int | None:
        """Record that the run wrote TABLE, producing SNAPSHOT_ID (default: its current one).

        The pyiceberg table object that committed knows its new snapshot; a table loaded
        elsewhere must be refreshed first. COLUMNS declares the column lineage (see
        ``wrote``).
        """
        if snapshot_id is None:
            current = table.current_snapshot()
            snapshot_id = None if current is None else current.snapshot_id
        self.wrote(dataset, snapshot_id, columns=columns)
        return snapshot_id

    def wrote_delta(
        self,
        table: DeltaTableLike | None = None,
        *,
        dataset: DatasetLike,
        version: int | None = None,
        columns: ColumnMapping | None = None,
    ) -> int:
        """Record that the run wrote a Delta table, producing VERSION (or ``table.version()``).

        ``write_deltalake`` does not update other DeltaTable objects: pass the version, or a
        table opened after the commit. COLUMNS declares the column lineage (see ``wrote``).
        """
        if version is None:
            if table is None:
                raise ValueError("wrote_delta needs the table or the version it produced")
            version = table.version()
        self.wrote(dataset, version, columns=columns)
        return version

    def wrote(
        self,
        dataset: DatasetLike,
        version: int | str | None = None,
        *,
        columns: ColumnMapping | None = None,
    ) -> None:
        """Record an output dataset, with the version the run produced when known.

        COLUMNS maps each output column to the input columns it is computed from, each a
        ``ColumnInput`` or ``(namespace, name, field[, type[, subtype]])`` naming the field
        as it is called at this run; the default transformation is DIRECT / IDENTITY.
        Columns declared again for the same output replace the earlier declaration of
        those columns; the others are kept.

        Raises:
            ValueError: a bad column declaration (empty names, unknown transformation).
        """
        declared = output_columns(columns) if columns is not None else ()
        self._record(self._outputs, dataset_ref(dataset), version, declared)

    # --- events ---------------------------------------------------------------------------------

    def _record(
        self,
        into: dict[tuple[str, str], RecordedDataset],
        ref: DatasetRef,
        version: int | str | None,
        columns: tuple[OutputColumn, ...] = (),
    ) -> None:
        if self.ended:
            raise InstrumentError(f"run {self.run_id} of {self.job} has already ended")
        old = into.get(ref.key)
        symlinks = ref.symlinks or (old.dataset.symlinks if old is not None else ())
        known = str(version) if version is not None else (old.version if old else None)
        merged = merge_columns(old.columns if old is not None else (), columns)
        into[ref.key] = RecordedDataset(
            DatasetRef(ref.namespace, ref.name, symlinks), known, merged
        )

    def _end(self, state: RunState, extra: dict[str, RunFacet]) -> None:
        if self.state is None:
            raise InstrumentError(f"run {self.run_id} of {self.job} was never started")
        if self.ended:
            raise InstrumentError(f"run {self.run_id} of {self.job} has already ended")
        self.ended_at = _to_ms(self._clock())
        self.state = state
        self._emit(state, self.ended_at, extra)

    def _emit(self, state: RunState, at: datetime, extra: dict[str, RunFacet]) -> None:
        run_facets: dict[str, RunFacet] = {}
        if self.parent is not None:
            run_facets["parent"] = parent_facet(self.parent)
        if self.nominal_time is not None:
            run_facets["nominalTime"] = nominal_time_facet(self.nominal_time, self.nominal_end_time)
        if self.parameters:
            run_facets[PARAMETERS_FACET] = parameters_facet(self.parameters)
        run_facets.update(extra)
        versions = self.emit_versions
        with_columns = state is RunState.COMPLETE
        event = RunEvent(
            eventType=state,
            eventTime=event_time(at),
            producer=PRODUCER,
            run=Run(runId=self.run_id, facets=run_facets),
            job=Job(
                namespace=self.namespace,
                name=self.job,
                facets=job_facets(self.source_url, self.code_version, self.sql, self.sql_dialect),
            ),
            inputs=[
                InputDataset(
                    namespace=r.dataset.namespace,
                    name=r.dataset.name,
                    facets=dataset_facets(r, versions),
                )
                for r in self._inputs.values()
            ],
            outputs=[
                OutputDataset(
                    namespace=r.dataset.namespace,
                    name=r.dataset.name,
                    facets=dataset_facets(r, versions, with_columns),
                )
                for r in self._outputs.values()
            ],
        )
        self._client.emit(event)
