"""The protocol both formats implement, and how a configured source is built."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from temporal_lineage.commit_keys import DEFAULT_RUN_ID_KEYS
from temporal_lineage.model import Format, Skipped, TableRef, TableState


@dataclass(frozen=True)
class Capabilities:
    """What a format can tell; the rest of the code asks these flags, never the format name."""

    has_field_ids: bool
    """Columns carry stable ids in every schema (renames are exact)."""
    has_schema_ids: bool
    """Schemas are numbered by the format; otherwise the store numbers distinct schemas."""
    has_branches: bool
    """Tables have named refs besides the main head."""
    has_commit_properties: bool
    """Commits carry free key/value properties (where run ids are put)."""
    has_head_log: bool
    """The format keeps a log of head changes (Iceberg snapshot-log), so rollbacks show."""


@dataclass(frozen=True)
class TableEntry:
    """A table found by discovery; ``pointer`` is a cheap change marker when listing has one."""

    ref: TableRef
    location: str
    pointer: str | None = None


@dataclass(frozen=True)
class Discovery:
    """What one listing of a source found."""

    tables: tuple[TableEntry, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)


class Source(ABC):
    """A configured source: lists its tables and reads their history.

    Implementations map their library's errors to ``SourceUnavailable`` (listing) and
    ``InvalidMetadata`` / ``NotATable`` (one table), and never return library objects.
    """

    format: Format
    capabilities: Capabilities

    run_id_keys: tuple[str, ...] = DEFAULT_RUN_ID_KEYS
    """Commit properties that may hold a run id (set from the source's config)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def discover(self) -> Discovery:
        """List the tables of this source now."""

    @abstractmethod
    def has_changed(self, entry: TableEntry, cursor: str | None) -> bool:
        """Cheap check: is there anything newer than ``cursor`` (never re-reads history)."""

    @abstractmethod
    def read(self, entry: TableEntry, cursor: str | None) -> TableState:
        """Read what is new since ``cursor`` (everything when ``cursor`` is None)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release anything the source holds (catalog connections)."""
