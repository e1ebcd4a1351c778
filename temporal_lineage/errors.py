"""The one error family of temporal-lineage: every failure the product reports is a LineageError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from temporal_lineage.redaction import redact

T = TypeVar("T")


class LineageError(Exception):
    """Root of every error raised by temporal-lineage."""


class ConfigError(LineageError):
    """The configuration file, an environment variable or a command-line flag is invalid."""


class BadPredicate(ConfigError):
    """A row predicate (e.g. of an erasure request) cannot be understood or pushed down.

    A usage error: unparsable text, a construct outside the supported subset (functions,
    subqueries, arithmetic, column-to-column comparisons) or a literal its column's type
    cannot be compared with. The message is one line naming the predicate and the fault.
    """


class StoreError(LineageError):
    """The store cannot be opened, migrated, read or written."""


class ValueRefused(StoreError):
    """The store refused one value being written (out of range, unencodable text).

    A fault of the data, not of the store: the other items of a batch can still be written.
    """


class SourceUnavailable(LineageError):
    """A source (catalog, root folder, object store) cannot be reached or listed."""


class InvalidMetadata(LineageError):
    """A table's metadata is malformed or references something that is missing."""


class NotATable(LineageError):
    """A path was expected to hold a table but does not."""


class TableNotFound(LineageError):
    """No table with that reference is known to the store."""


class SnapshotNotFound(LineageError):
    """No snapshot with that id (or as of that time) is known to the store."""


class RefNotFound(SnapshotNotFound):
    """The table never had a branch or tag of that name (as known at the time asked)."""


class InvalidTime(LineageError):
    """A time argument cannot be understood."""


class InvalidEvent(LineageError):
    """An OpenLineage payload or event is not valid JSON or breaks the OpenLineage spec."""


class DataUnavailable(LineageError):
    """A table's data at a pinned snapshot can no longer be read at the source.

    The message is one line naming the table, the snapshot and the cause (expired
    snapshot, commit file removed by log cleanup, data file vacuumed or deleted).
    """


class DataMismatch(LineageError):
    """Data read at a pinned snapshot differs from what a manifest recorded."""


class InvalidManifest(LineageError):
    """A reproduction manifest is malformed or of an unsupported version."""


class ColumnNotFound(LineageError):
    """The table had no column with that name at that time."""


class SqlLineageError(LineageError):
    """A job's SQL cannot be parsed, or cannot be traced against its input schemas.

    The message is one line. When the SQL names a column its inputs do not have as of the
    run (e.g. a column renamed since), ``column`` names it and ``table`` the table it was
    looked up in (None when no single table could hold it); both are None for every other
    cause (unparseable SQL, unsupported statement, ``*`` over a table without a schema).
    """

    def __init__(
        self, message: str, *, table: str | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column


class RunNotFound(LineageError):
    """No run with this id is known (at the time asked)."""


class PayloadTooLarge(InvalidEvent):
    """A request body is larger than the configured limit (compressed or not)."""


UNEXPECTED = "unexpected error"
"""How an error no rule of ours expected is reported by the batch boundaries (sync, ingest):
a bug to fix, and what the fuzz tests look for."""


def most_specific(error: LineageError, table: Mapping[type[LineageError], T], default: T) -> T:
    """What ``table`` says for the most specific class of ``error`` it names, else ``default``
    (an exit code, an HTTP status)."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default


def one_line(error: BaseException) -> str:
    """The first line of an error message (what users see), secrets redacted."""
    text = str(error).strip()
    return redact(text.splitlines()[0]) if text else type(error).__name__
