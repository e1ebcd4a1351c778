"""Which column edges an event states: its columnLineage facets, declared mappings of our
own instrumentation, and its job's SQL traced against the inputs' schemas.

Domain rules only; the store writes the edges it is given (``store/event_writes.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from temporal_lineage.errors import LineageError
from temporal_lineage.model import Schema, TableRef
from temporal_lineage.openlineage.events import DatasetName, DatasetObservation, ParsedEvent

INSTRUMENT_PRODUCER = "https://github.com/temporal-lineage/temporal-lineage/instrument"
"""Events from ``temporal_lineage.instrument`` carry declared column mappings."""


class EdgeOrigin(StrEnum):
    """Where a column edge was read from."""

    FACET = "facet"
    """A ``columnLineage`` facet sent by the producer."""
    DECLARED = "declared"
    """A mapping declared through ``temporal_lineage.instrument``."""
    SQL = "sql"
    """Traced from the job's SQL."""


@dataclass(frozen=True)
class EventEdge:
    """Output field ``output_field`` of ``output`` is computed from ``input_field`` of
    ``input`` (``kind`` DIRECT or INDIRECT, with an optional subtype)."""

    output: DatasetName
    output_field: str
    input: DatasetName
    input_field: str
    kind: str
    subtype: str | None
    origin: EdgeOrigin
    masking: bool | None = None
    """The facet's transformation says the output masks the input (None: not said)."""


KnownTable = Callable[[DatasetName, datetime], tuple[TableRef, Schema | None] | None]
"""The stored table a dataset names, with its schema at a time (None: no table matched)."""


def column_edges(event: ParsedEvent, known_table: KnownTable) -> list[EventEdge]:
    """Every column edge ``event`` states; SQL is traced only on COMPLETE (when its inputs'
    schemas are known)."""
    origin = EdgeOrigin.DECLARED if event.producer == INSTRUMENT_PRODUCER else EdgeOrigin.FACET
    edges = [edge for output in event.outputs for edge in _facet_edges(output, origin)]
    if event.sql and event.outputs and event.event_type == "COMPLETE":
        edges.extend(_sql_edges(event, known_table))
    return edges


def _facet_edges(output: DatasetObservation, origin: EdgeOrigin) -> list[EventEdge]:
    edges: list[EventEdge] = []
    for lineage in output.column_lineage:
        for source in lineage.inputs:
            kinds = [(x.type, x.subtype, x.masking) for x in source.transformations] or [
                ("DIRECT", lineage.transformation_type, None)
            ]
            edges.extend(
                EventEdge(
                    output=output.dataset,
                    output_field=lineage.field,
                    input=source.dataset,
                    input_field=source.field,
                    kind=(kind or "DIRECT").upper(),
                    subtype=subtype,
                    origin=origin,
                    masking=masking,
                )
                for kind, subtype, masking in kinds
            )
    return edges


def _sql_edges(event: ParsedEvent, known_table: KnownTable) -> list[EventEdge]:
    """Column edges parsed from the job's SQL against its inputs' schemas at the event."""
    assert event.sql is not None
    inputs: dict[str, DatasetObservation] = {}
    # The SQL may name an input as the dataset, the table or the full reference: try each
    # naming in turn (sqlglot wants one consistent depth per schema mapping).
    namings: list[dict[str, list[str]]] = [{}, {}, {}]
    for observed in event.inputs:
        known = known_table(observed.dataset, event.event_time)
        names = [observed.name, observed.name, f"{observed.namespace}.{observed.name}"]
        columns: list[str] = []
        if known is not None:
            ref, schema = known
            names = [observed.name, ref.identifier, str(ref)]
            if schema is not None:
                columns = [f.name for f in schema.fields if len(f.path) == 1]
        for naming, name in zip(namings, names, strict=True):
            inputs[name.lower()] = observed
            if columns:
                naming[name] = columns
    parsed = None
    for naming in namings:
        frozen = tuple(sorted((name, tuple(cols)) for name, cols in naming.items()))
        parsed = _sql_lineage(event.sql, event.sql_dialect, frozen)
        if parsed is not None:
            break  # else another naming, or SQL naming a column the inputs lack
    output = event.outputs[0]
    return [
        EventEdge(
            output=output.dataset,
            output_field=edge.output,
            input=source.dataset,
            input_field=edge.source_column,
            kind=edge.kind,
            subtype=edge.subtype,
            origin=EdgeOrigin.SQL,
        )
        for edge in parsed or ()
        if (source := inputs.get(edge.source_table.lower())) is not None
    ]


@functools.lru_cache(maxsize=16_384)
def _sql_lineage(
    sql: str, dialect: str | None, schemas: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[Any, ...] | None:
    """Column lineage of a job's SQL, remembered: a job's runs repeat the same SQL and schemas."""
    from temporal_lineage.sql_lineage import column_lineage

    try:
        return column_lineage(sql, dialect=dialect, schemas={n: list(c) for n, c in schemas})
    except LineageError:
        return None
