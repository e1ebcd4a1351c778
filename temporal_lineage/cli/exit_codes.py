"""The one table mapping errors to exit codes (and the one-line messages users see)."""

from __future__ import annotations

from temporal_lineage.errors import (
    ConfigError,
    InvalidMetadata,
    InvalidTime,
    LineageError,
    NotATable,
    RunNotFound,
    SnapshotNotFound,
    SourceUnavailable,
    StoreError,
    TableNotFound,
)

EXIT_CODES: dict[type[LineageError], int] = {
    ConfigError: 2,
    InvalidTime: 2,
    TableNotFound: 3,
    SnapshotNotFound: 3,
    RunNotFound: 3,
    NotATable: 3,
    StoreError: 4,
    SourceUnavailable: 5,
    InvalidMetadata: 6,
}
SYNC_HAD_ERRORS = 1
INTERNAL_ERROR = 70


def exit_code(error: LineageError) -> int:
    """The exit code for an error: the most specific class in the table, else 1."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def one_line(error: BaseException) -> str:
    """The first line of an error message."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
