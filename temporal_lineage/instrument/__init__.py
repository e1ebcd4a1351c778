"""Instrumentation for jobs that write with pyiceberg or deltalake: OpenLineage events per run.

A job wraps its work in a ``JobRun``; the run records the exact snapshots it reads and
writes and tags its commits with its run id, so that temporal-lineage links snapshots to
runs with ``commit_property`` or ``dataset_version`` evidence instead of time windows::

    client = OpenLineageClient(transport=FileTransport(FileConfig(path, append=True)))
    with JobRun(client, namespace="warehouse", job="build-user-features",
                code_version=git_sha, source_url=repo_url, sql=query,
                parameters={"day": "3"}, parent=dag_run) as run:
        snapshot = run.read_iceberg(events, dataset=("lake", "raw.events"))
        data = events.scan(snapshot_id=snapshot).to_arrow()
        features.append(compute(data), snapshot_properties=run.commit_properties())
        run.wrote_iceberg(features, dataset=("lake", "features.user_features"), columns={
            "user_id": [("lake", "raw.events", "user_id")],
            "total_amount": [("lake", "raw.events", "amount", "DIRECT", "AGGREGATION")],
        })

``columns`` (optional, also on ``wrote_delta`` / ``wrote``) declares column lineage: each
output column and the input columns it is computed from, sent as the OpenLineage
``columnLineage`` facet of that output in the COMPLETE event.

Nothing here imports pyiceberg or deltalake: tables are taken duck-typed.

>>> from temporal_lineage.instrument import JobRun
>>> JobRun.__name__
'JobRun'
"""

from __future__ import annotations

from temporal_lineage.instrument.columns import (
    DIRECT,
    INDIRECT,
    SUBTYPES,
    ColumnInput,
    ColumnInputLike,
    ColumnMapping,
    OutputColumn,
)
from temporal_lineage.instrument.datasets import (
    DatasetLike,
    DatasetRef,
    RecordedDataset,
    Symlink,
    dataset_ref,
)
from temporal_lineage.instrument.facets import (
    PARAMETERS_FACET,
    PARAMETERS_SCHEMA_URL,
    PRODUCER,
    ParentRun,
    event_time,
)
from temporal_lineage.instrument.job_run import (
    RUN_ID_PROPERTY,
    EventEmitter,
    InstrumentError,
    JobRun,
)
from temporal_lineage.instrument.tables import DeltaTableLike, IcebergTableLike, SnapshotLike

__all__ = [
    "DIRECT",
    "INDIRECT",
    "PARAMETERS_FACET",
    "PARAMETERS_SCHEMA_URL",
    "PRODUCER",
    "RUN_ID_PROPERTY",
    "SUBTYPES",
    "ColumnInput",
    "ColumnInputLike",
    "ColumnMapping",
    "DatasetLike",
    "DatasetRef",
    "DeltaTableLike",
    "EventEmitter",
    "IcebergTableLike",
    "InstrumentError",
    "JobRun",
    "OutputColumn",
    "ParentRun",
    "RecordedDataset",
    "SnapshotLike",
    "Symlink",
    "dataset_ref",
    "event_time",
]
