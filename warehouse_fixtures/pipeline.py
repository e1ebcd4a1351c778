"""Instrumented job runs of the story and the ground truth of their links.

Every data write of the story happens inside a ``temporal_lineage.instrument.JobRun`` whose
events go through a real openlineage-python client. Alongside, each run records what it
really read and produced, and which evidence the product should derive for every link:
``commit_property`` when the commit carries the run id, ``dataset_version`` when only the
version facet names the snapshot, ``inferred`` otherwise. ``verify`` checks at the end of
the build that every inferred link is actually derivable (exactly one candidate run).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable

from temporal_lineage.instrument import (
    ColumnMapping,
    DatasetRef,
    EventEmitter,
    JobRun,
    event_time,
)
from warehouse_fixtures.delta_tables import DeltaLakeTable, query_table
from warehouse_fixtures.iceberg_tables import IcebergTable
from warehouse_fixtures.jobs import DAILY_PIPELINE, JOB_NAMESPACE, SOURCE_URL, JobSpec
from warehouse_fixtures.run_records import (
    COMMIT_PROPERTY,
    COMPLETE,
    DATASET_VERSION,
    FAIL,
    INFERRED,
    ColumnEdge,
    RunDataset,
    RunRecord,
)
from warehouse_fixtures.timeline import TimelineRecorder, iso_ms, parse_iso_ms

SETTLE_S = 0.002
"""Pause around each run so no commit outside it shares a millisecond with its START or end."""


@dataclass
class _Read:
    table: str | None
    snapshot: int | None
    dataset: DatasetRef
    reported: bool


@dataclass
class _Write:
    table: str
    snapshots: list[int]
    dataset: DatasetRef


@dataclass
class StoryRun:
    """One instrumented run: its JobRun plus what it truly read and wrote."""

    job_run: JobRun
    day: int
    reads: list[_Read] = field(default_factory=list)
    writes: list[_Write] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        """The run id."""
        return self.job_run.run_id

    def read_iceberg(self, table: IcebergTable, dataset: DatasetRef) -> pa.Table:
        """Read an Iceberg table at its current snapshot, recording that exact snapshot."""
        live = table.load()
        snapshot = self.job_run.read_iceberg(live, dataset=dataset)
        self.reads.append(_Read(table.name, snapshot, dataset, self.job_run.emit_versions))
        return live.scan(snapshot_id=snapshot).to_arrow()

    def read_delta(
        self, table: DeltaLakeTable, dataset: DatasetRef, report_version: bool = True
    ) -> pa.Table:
        """Read a Delta table at its latest version, reporting that version or not."""
        live = DeltaTable(str(table.path))
        version = live.version()
        if report_version:
            self.job_run.read_delta(live, dataset=dataset)
        else:
            self.job_run.read(dataset)
        reported = report_version and self.job_run.emit_versions
        self.reads.append(_Read(table.name, version, dataset, reported))
        return query_table(table.path, version=version)

    def read_external(self, dataset: DatasetRef) -> None:
        """Record an input outside the warehouse (no version)."""
        self.job_run.read(dataset)
        self.reads.append(_Read(None, None, dataset, False))

    def wrote_iceberg(
        self,
        table: IcebergTable,
        dataset: DatasetRef,
        snapshots: list[int],
        columns: ColumnMapping | None = None,
        branch: str | None = None,
    ) -> None:
        """Report an Iceberg write (the table's new head, or the head of ``branch``) and
        remember every snapshot it made."""
        staged = table.table.metadata.refs[branch].snapshot_id if branch is not None else None
        head = self.job_run.wrote_iceberg(
            table.table, dataset=dataset, columns=columns, snapshot_id=staged
        )
        if not snapshots or head != snapshots[-1]:
            raise RuntimeError(f"{table.name}: head {head} is not the last new snapshot")
        self.writes.append(_Write(table.name, snapshots, dataset))

    def wrote_delta(
        self,
        table: DeltaLakeTable,
        dataset: DatasetRef,
        version: int,
        columns: ColumnMapping | None = None,
    ) -> None:
        """Report a Delta write and the version it made."""
        self.job_run.wrote_delta(dataset=dataset, version=version, columns=columns)
        self.writes.append(_Write(table.name, [version], dataset))

    def column_edges(self) -> tuple[ColumnEdge, ...]:
        """The column lineage the run declared, with the tables behind its datasets."""
        tables = {read.dataset.key: read.table for read in self.reads}
        tables.update({write.dataset.key: write.table for write in self.writes})
        return tuple(
            ColumnEdge(
                table=tables.get(output.dataset.key),
                column=column.field,
                input_table=tables.get((source.namespace, source.name)),
                input_column=source.field,
                type=source.type,
                subtype=source.subtype,
                namespace=output.dataset.namespace,
                name=output.dataset.name,
                input_namespace=source.namespace,
                input_name=source.name,
            )
            for output in self.job_run.outputs
            for column in output.columns
            for source in column.inputs
        )


def _dataset_fields(dataset: DatasetRef) -> dict[str, str]:
    return {"namespace": dataset.namespace, "name": dataset.name}


class Pipeline:
    """Starts the story's runs (a daily parent run and its job runs) and records them."""

    def __init__(self, client: EventEmitter, recorder: TimelineRecorder) -> None:
        self._client = client
        self._rec = recorder
        self._dag: JobRun | None = None
        self._runs: list[RunRecord] = []
        self._start_order: dict[str, int] = {}

    @contextmanager
    def day(self, day: int) -> Iterator[JobRun]:
        """Run the daily parent run around one simulated day."""
        revision = DAILY_PIPELINE.revision(day)
        scheduled = datetime.now(UTC)
        dag = JobRun(
            self._client,
            namespace=JOB_NAMESPACE,
            job=DAILY_PIPELINE.name,
            code_version=revision.sha(DAILY_PIPELINE.name),
            source_url=SOURCE_URL,
            parameters={"day": str(day)},
            nominal_time=scheduled,
            tag_commits=revision.tags_commits,
            emit_versions=revision.reports_versions,
        )
        self._dag = dag
        self._start_order[dag.run_id] = len(self._start_order)
        with dag:
            yield dag
        self._dag = None
        self._record(StoryRun(dag, day))

    @contextmanager
    def run(
        self,
        spec: JobSpec,
        day: int,
        *,
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
        parameters: Mapping[str, str] | None = None,
        sql: str | None = None,
        attempt: int = 1,
    ) -> Iterator[StoryRun]:
        """Run one job of the day: START now, COMPLETE after the block, FAIL if it raises.

        ATTEMPT > 1 is a rerun, with the code revision deployed for it.
        """
        if self._dag is None:
            raise RuntimeError("job runs happen inside a day")
        revision = spec.revision(day, attempt)
        job_run = JobRun(
            self._client,
            namespace=JOB_NAMESPACE,
            job=spec.name,
            code_version=revision.sha(spec.name),
            source_url=SOURCE_URL,
            sql=sql,
            parameters={"day": str(day), **(parameters or {})},
            parent=self._dag,
            nominal_time=self._dag.nominal_time,
            inputs=inputs,
            outputs=outputs,
            emit_versions=revision.reports_versions,
            tag_commits=revision.tags_commits,
        )
        story_run = StoryRun(job_run, day)
        self._start_order[job_run.run_id] = len(self._start_order)
        time.sleep(SETTLE_S)
        try:
            with job_run:
                yield story_run
        finally:
            time.sleep(SETTLE_S)
            if job_run.ended:
                self._record(story_run)

    def finish(self) -> None:
        """Verify the ground truth and list the runs in the order they started."""
        self.verify()
        self._rec.runs.sort(key=lambda r: self._start_order[r.run_id])

    def verify(self) -> None:
        """Check that the time-window rule gives exactly the recorded producers.

        A snapshot linked by inference must lie in the window of exactly one run of a job
        that writes its table (the producer); a snapshot made outside any run must lie in
        none, so that inference cannot invent a producer.

        Raises:
            RuntimeError: the windows and the recorded producers disagree.
        """
        writers: dict[str, set[str]] = {}
        for record in self._runs:
            for output in record.outputs:
                if output.table is not None:
                    writers.setdefault(output.table, set()).add(record.job)
        for name, table in self._rec.tables.items():
            for snap in table.snapshots.values():
                if snap.produced_by is not None and snap.evidence != INFERRED:
                    continue
                at = parse_iso_ms(snap.committed_at)
                candidates = [
                    r.run_id
                    for r in self._runs
                    if r.job in writers.get(name, set())
                    and r.started_at is not None
                    and r.ended_at is not None
                    and parse_iso_ms(r.started_at) <= at <= parse_iso_ms(r.ended_at)
                ]
                expected = [] if snap.produced_by is None else [snap.produced_by]
                if candidates != expected:
                    raise RuntimeError(
                        f"{name}@{snap.snapshot}: runs whose window holds the commit "
                        f"{candidates}, expected {expected}"
                    )

    def _record(self, story_run: StoryRun) -> None:
        job_run = story_run.job_run
        if job_run.started_at is None or job_run.ended_at is None or job_run.state is None:
            raise RuntimeError(f"run {job_run.run_id} has not ended")
        started_ms = _ms(job_run.started_at)
        inputs = tuple(self._input(read, started_ms) for read in story_run.reads)
        outputs = tuple(
            RunDataset(
                table=write.table,
                snapshot=snapshot,
                evidence=self._output_evidence(job_run, write, snapshot),
                **_dataset_fields(write.dataset),
            )
            for write in story_run.writes
            for snapshot in write.snapshots
        )
        state = job_run.state.value
        if state == FAIL and outputs:
            raise RuntimeError(f"failed run {job_run.run_id} produced snapshots")
        record = RunRecord(
            run_id=job_run.run_id,
            day=story_run.day,
            job=job_run.job,
            inputs=inputs,
            outputs=outputs,
            namespace=job_run.namespace,
            state=state,
            started_at=event_time(job_run.started_at),
            ended_at=event_time(job_run.ended_at),
            code_version=job_run.code_version,
            parent_run_id=None if job_run.parent is None else job_run.parent.run_id,
            parameters=dict(job_run.parameters),
            sql=job_run.sql,
            error=job_run.error,
            column_lineage=story_run.column_edges() if state == COMPLETE else (),
        )
        self._rec.add_run(record)
        self._runs.append(record)

    def _input(self, read: _Read, started_ms: int) -> RunDataset:
        if read.table is None:
            return RunDataset(table=None, snapshot=None, **_dataset_fields(read.dataset))
        if read.reported:
            evidence = DATASET_VERSION
        else:
            evidence = INFERRED
            head = self._rec.tables[read.table].head_as_of(started_ms)
            if head != read.snapshot:
                raise RuntimeError(
                    f"{read.table}: read {read.snapshot} but the head at run start "
                    f"({iso_ms(started_ms)}) is {head}"
                )
        return RunDataset(read.table, read.snapshot, evidence, **_dataset_fields(read.dataset))

    def _output_evidence(self, job_run: JobRun, write: _Write, snapshot: int) -> str:
        tagged = self._rec.tables[write.table].snapshots[snapshot].run_id
        if tagged == job_run.run_id:
            return COMMIT_PROPERTY
        if tagged is not None:
            raise RuntimeError(f"{write.table}@{snapshot} is tagged with another run: {tagged}")
        reported = {r.dataset.key: r.version for r in job_run.outputs}
        if job_run.emit_versions and reported.get(write.dataset.key) == str(snapshot):
            return DATASET_VERSION
        return INFERRED


def _ms(moment: datetime) -> int:
    return parse_iso_ms(event_time(moment))
