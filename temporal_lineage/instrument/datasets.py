"""Datasets as a job names them in its events, and the versions a run recorded for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporal_lineage.instrument.columns import OutputColumn


@dataclass(frozen=True)
class Symlink:
    """Another name of the same dataset (an identifier of the OpenLineage ``symlinks`` facet).

    >>> Symlink("deltas", "deltas.users")
    Symlink(namespace='deltas', name='deltas.users', type='TABLE')
    """

    namespace: str
    name: str
    type: str = "TABLE"


@dataclass(frozen=True)
class DatasetRef:
    """An OpenLineage dataset: namespace and name, plus other names it is known by.

    ``("lake", "raw.events")`` names an Iceberg table by source and identifier,
    ``("file", "/abs/path/users")`` a table by its storage location.

    >>> DatasetRef("lake", "raw.events").key
    ('lake', 'raw.events')
    """

    namespace: str
    name: str
    symlinks: tuple[Symlink, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """The (namespace, name) pair that identifies the dataset within a run's event."""
        return (self.namespace, self.name)


DatasetLike = DatasetRef | tuple[str, str]
"""A dataset given either as a DatasetRef or as a ``(namespace, name)`` pair."""


def dataset_ref(value: DatasetLike) -> DatasetRef:
    """Return VALUE as a DatasetRef.

    >>> dataset_ref(("file", "/wh/delta/users"))
    DatasetRef(namespace='file', name='/wh/delta/users', symlinks=())

    Raises:
        ValueError: the namespace or the name is empty.
    """
    ref = value if isinstance(value, DatasetRef) else DatasetRef(value[0], value[1])
    if not ref.namespace or not ref.name:
        raise ValueError(f"a dataset needs a namespace and a name, got {ref.key!r}")
    return ref


@dataclass(frozen=True)
class RecordedDataset:
    """A dataset a run read or wrote, with the version it knows of (None when unknown).

    ``version`` is the Iceberg snapshot id or Delta version as a string, exactly as it goes
    into the ``version`` dataset facet when the run reports versions. ``columns`` is the
    column lineage declared for an output (empty when none was declared).
    """

    dataset: DatasetRef
    version: str | None = None
    columns: tuple[OutputColumn, ...] = ()
