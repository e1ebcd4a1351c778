"""Events exactly as openlineage-python builds and its HTTP transport sends them."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    lifecycle_state_change_dataset,
    nominal_time_run,
    parent_run,
    schema_dataset,
    source_code_location_job,
    sql_job,
    storage_dataset,
    symlinks_dataset,
)
from openlineage.client.serde import Serde

from temporal_lineage.openlineage import DatasetName, ParsedEvent, parse_payload

from .corpus import spec_errors


def _client_event() -> RunEvent:
    run_id, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "amount": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace="file",
                        name="/wh/raw/payments",
                        field="amount_cents",
                        transformations=[
                            column_lineage_dataset.Transformation(
                                type="DIRECT", subtype="TRANSFORMATION", masking=False
                            )
                        ],
                    )
                ]
            )
        }
    )
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime=datetime(2026, 3, 3, 10, 0, tzinfo=UTC).isoformat(),
        producer="https://github.com/acme/pipelines",
        run=Run(
            runId=run_id,
            facets={
                "parent": parent_run.ParentRunFacet(
                    run=parent_run.Run(runId=parent_id),
                    job=parent_run.Job(namespace="airflow", name="daily"),
                ),
                "nominalTime": nominal_time_run.NominalTimeRunFacet(
                    nominalStartTime="2026-03-03T00:00:00Z"
                ),
            },
        ),
        job=Job(
            namespace="acme",
            name="features.build",
            facets={
                "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                    type="git", url="https://github.com/acme/pipelines", version="9f1e2d3"
                ),
                "sql": sql_job.SQLJobFacet(query="SELECT 1", dialect="spark"),
            },
        ),
        inputs=[
            InputDataset(
                namespace="file",
                name="/wh/raw/payments",
                facets={"version": dataset_version_dataset.DatasetVersionDatasetFacet("7")},
            )
        ],
        outputs=[
            OutputDataset(
                namespace="file",
                name="/wh/features/payments",
                facets={
                    "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                        identifiers=[
                            symlinks_dataset.Identifier(
                                namespace="lake", name="features.payments", type="TABLE"
                            )
                        ]
                    ),
                    "storage": storage_dataset.StorageDatasetFacet(
                        storageLayer="iceberg", fileFormat="parquet"
                    ),
                    "schema": schema_dataset.SchemaDatasetFacet(
                        fields=[schema_dataset.SchemaDatasetFacetFields(name="amount", type="long")]
                    ),
                    "columnLineage": lineage,
                    "lifecycleStateChange": (
                        lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
                            lifecycleStateChange=(
                                lifecycle_state_change_dataset.LifecycleStateChange.OVERWRITE
                            )
                        )
                    ),
                },
            )
        ],
    )


def test_client_event_as_the_http_transport_sends_it() -> None:
    sent = _client_event()
    body = Serde.to_json(sent)
    assert spec_errors(Serde.to_dict(sent)) == []
    for payload in (body, body.encode(), gzip.compress(body.encode(), compresslevel=3)):
        (event,) = parse_payload(payload, origin="POST /api/v1/lineage")
        assert isinstance(event, ParsedEvent)
        assert event.run_id == sent.run.runId
        assert event.event_type == "COMPLETE"
        assert event.parent_job == DatasetName("airflow", "daily")
        assert (event.code_version, event.sql, event.sql_dialect) == (
            "9f1e2d3",
            "SELECT 1",
            "spark",
        )
        (read,), (written,) = event.inputs, event.outputs
        assert read.version == "7"
        assert written.symlinks == (DatasetName("lake", "features.payments"),)
        assert (written.storage_layer, written.lifecycle_state) == ("iceberg", "OVERWRITE")
        (amount,) = written.column_lineage
        assert amount.inputs[0].field == "amount_cents"
        assert event.nominal_start == datetime(2026, 3, 3, tzinfo=UTC)
