"""The one table mapping errors to exit codes (``one_line`` gives the messages users see)."""

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
    most_specific,
    one_line,
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

__all__ = ["EXIT_CODES", "INTERNAL_ERROR", "SYNC_HAD_ERRORS", "exit_code", "one_line"]


def exit_code(error: LineageError) -> int:
    """The exit code for an error: the most specific class in the table, else 1."""
    return most_specific(error, EXIT_CODES, 1)
