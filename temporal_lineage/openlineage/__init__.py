"""OpenLineage events in, validated and normalised frozen values out (no store here).

>>> from temporal_lineage.openlineage import parse_payload
>>> parse_payload('{"eventTime": "2024-01-01T00:00:00Z"}', origin="x.json")[0].error
'event 0: producer: missing'
"""

from __future__ import annotations

from temporal_lineage.errors import InvalidEvent
from temporal_lineage.openlineage.engines import (
    DATABRICKS_RUN_ID,
    FLINK_JOB_ID,
    SPARK_APP_ID,
    TRINO_QUERY_ID,
    engine_ids,
)
from temporal_lineage.openlineage.events import (
    RUN_STATES,
    ColumnLineage,
    ColumnLineageInput,
    DatasetName,
    DatasetObservation,
    EventKind,
    ParsedEvent,
    RejectedEvent,
    SchemaField,
    Transformation,
)
from temporal_lineage.openlineage.parse import fingerprint, parse_event, parse_payload
from temporal_lineage.openlineage.validate import FieldError

__all__ = [
    "DATABRICKS_RUN_ID",
    "FLINK_JOB_ID",
    "RUN_STATES",
    "SPARK_APP_ID",
    "TRINO_QUERY_ID",
    "ColumnLineage",
    "ColumnLineageInput",
    "DatasetName",
    "DatasetObservation",
    "EventKind",
    "FieldError",
    "InvalidEvent",
    "ParsedEvent",
    "RejectedEvent",
    "SchemaField",
    "Transformation",
    "engine_ids",
    "fingerprint",
    "parse_event",
    "parse_payload",
]
