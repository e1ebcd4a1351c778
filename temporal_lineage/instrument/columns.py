"""Declared column lineage: which input columns each output column is computed from, and how.

A job declares, for an output it wrote, a mapping ``{output column: [input columns]}``; each
input column names its dataset (as the run names it in its inputs), the field as it is
called at that run, and a transformation: ``DIRECT`` (``IDENTITY``, ``TRANSFORMATION``,
``AGGREGATION``) when the value is computed from it, ``INDIRECT`` (``JOIN``, ``GROUP_BY``,
``FILTER``, ``SORT``, ``WINDOW``, ``CONDITIONAL``) when it only decides which rows or
groups there are. It goes out as the standard OpenLineage ``columnLineage`` dataset facet::

    run.wrote_iceberg(training, dataset=("lake", "ml.training_set"), columns={
        "total_amount": [("lake", "features.user_features", "total_amount")],
        "label": [("lake", "features.user_features", "total_amount",
                   "DIRECT", "TRANSFORMATION")],
        "user_id": [
            ("lake", "features.user_features", "user_id", "DIRECT", "IDENTITY"),
            ("lake", "features.user_features", "user_id", "INDIRECT", "JOIN"),
            ("deltas", "crm.users", "user_id", "INDIRECT", "JOIN"),
        ],
    })

An input column is a ``ColumnInput`` or a tuple ``(namespace, name, field)`` (DIRECT /
IDENTITY), ``(namespace, name, field, type)`` (no subtype) or
``(namespace, name, field, type, subtype)``. Entries naming the same input column of one
output column are merged into one ``InputField`` with several transformations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openlineage.client.facet_v2 import column_lineage_dataset

from temporal_lineage.instrument.datasets import DatasetLike, dataset_ref

DIRECT = "DIRECT"
INDIRECT = "INDIRECT"
IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"
AGGREGATION = "AGGREGATION"
JOIN = "JOIN"
GROUP_BY = "GROUP_BY"
FILTER = "FILTER"
SORT = "SORT"
WINDOW = "WINDOW"
CONDITIONAL = "CONDITIONAL"
SUBTYPES: Mapping[str, tuple[str, ...]] = {
    DIRECT: (IDENTITY, TRANSFORMATION, AGGREGATION),
    INDIRECT: (JOIN, GROUP_BY, FILTER, SORT, WINDOW, CONDITIONAL),
}
"""The transformation types of the OpenLineage spec and the subtypes of each."""


@dataclass(frozen=True)
class ColumnInput:
    """One input column an output column depends on, and the transformation applied.

    >>> ColumnInput.of(("lake", "raw.events"), "amount", DIRECT, AGGREGATION).source
    ('lake', 'raw.events', 'amount')
    """

    namespace: str
    name: str
    field: str
    type: str = DIRECT
    subtype: str | None = IDENTITY
    description: str | None = None
    masking: bool | None = None

    @classmethod
    def of(
        cls,
        dataset: DatasetLike,
        field: str,
        type: str = DIRECT,
        subtype: str | None = IDENTITY,
        *,
        description: str | None = None,
        masking: bool | None = None,
    ) -> ColumnInput:
        """The column FIELD of DATASET (a DatasetRef or a ``(namespace, name)`` pair)."""
        ref = dataset_ref(dataset)
        return cls(ref.namespace, ref.name, field, type, subtype, description, masking)

    @property
    def source(self) -> tuple[str, str, str]:
        """The input column: (namespace, name, field)."""
        return (self.namespace, self.name, self.field)


ColumnInputLike = (
    ColumnInput
    | tuple[str, str, str]
    | tuple[str, str, str, str]
    | tuple[str, str, str, str, str | None]
)
"""An input column: a ColumnInput or a tuple (namespace, name, field[, type[, subtype]])."""

ColumnMapping = Mapping[str, Iterable[ColumnInputLike]]
"""Output column -> the input columns it is computed from."""


@dataclass(frozen=True)
class OutputColumn:
    """An output column and its input columns (normalised, in declaration order)."""

    field: str
    inputs: tuple[ColumnInput, ...]


def column_input(value: ColumnInputLike) -> ColumnInput:
    """Return VALUE as a checked ColumnInput (type and subtype upper-cased).

    >>> column_input(("lake", "raw.events", "user_id", "indirect", "group_by")).subtype
    'GROUP_BY'

    Raises:
        ValueError: an empty name, or a type or subtype the spec does not define.
    """
    if isinstance(value, ColumnInput):
        item = value
    elif isinstance(value, tuple) and 3 <= len(value) <= 5:
        parts: tuple[object, ...] = value
        default_subtype = IDENTITY if len(parts) == 3 else None
        kind = parts[3] if len(parts) > 3 else DIRECT
        subtype = parts[4] if len(parts) > 4 else default_subtype
        item = ColumnInput(
            str(parts[0]),
            str(parts[1]),
            str(parts[2]),
            str(kind),
            None if subtype is None else str(subtype),
        )
    else:
        raise ValueError(
            f"an input column is a ColumnInput or (namespace, name, field[, type[, subtype]]), "
            f"got {value!r}"
        )
    if not item.namespace or not item.name or not item.field:
        raise ValueError(f"an input column needs a namespace, a name and a field: {item!r}")
    kind = item.type.upper()
    if kind not in SUBTYPES:
        raise ValueError(f"transformation type must be DIRECT or INDIRECT, got {item.type!r}")
    subtype = None if item.subtype is None else item.subtype.upper()
    if subtype is not None and subtype not in SUBTYPES[kind]:
        raise ValueError(
            f"{kind} transformations have subtypes {', '.join(SUBTYPES[kind])}, got {subtype!r}"
        )
    return ColumnInput(
        item.namespace, item.name, item.field, kind, subtype, item.description, item.masking
    )


def output_columns(columns: ColumnMapping) -> tuple[OutputColumn, ...]:
    """Normalise a mapping output column -> input columns (checked, in order).

    Raises:
        ValueError: an empty output column name, or a bad input column.
    """
    found: list[OutputColumn] = []
    for field, inputs in columns.items():
        if not field:
            raise ValueError("an output column needs a name")
        if isinstance(inputs, str | tuple | ColumnInput):
            raise ValueError(f"the inputs of output column {field!r} must be a list")
        found.append(OutputColumn(field, tuple(column_input(item) for item in inputs)))
    return tuple(found)


def merge_columns(
    old: tuple[OutputColumn, ...], new: tuple[OutputColumn, ...]
) -> tuple[OutputColumn, ...]:
    """OLD with the output columns of NEW added (a column declared again is replaced)."""
    merged = {c.field: c for c in old}
    merged.update({c.field: c for c in new})
    return tuple(merged.values())


def column_lineage_facet(
    columns: Iterable[OutputColumn], producer: str
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """The ``columnLineage`` dataset facet (spec 1-2-0) of the declared output columns."""
    fields: dict[str, column_lineage_dataset.Fields] = {}
    for column in columns:
        by_source: dict[tuple[str, str, str], list[column_lineage_dataset.Transformation]] = {}
        for item in column.inputs:
            transformations = by_source.setdefault(item.source, [])
            transformation = column_lineage_dataset.Transformation(
                type=item.type,
                subtype=item.subtype,
                description=item.description,
                masking=item.masking,
            )
            if transformation not in transformations:
                transformations.append(transformation)
        fields[column.field] = column_lineage_dataset.Fields(
            inputFields=[
                column_lineage_dataset.InputField(
                    namespace=namespace, name=name, field=field, transformations=transformations
                )
                for (namespace, name, field), transformations in by_source.items()
            ]
        )
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, producer=producer)
