"""The one error family of temporal-lineage: every failure the product reports is a LineageError."""

from __future__ import annotations


class LineageError(Exception):
    """Root of every error raised by temporal-lineage."""


class ConfigError(LineageError):
    """The configuration file, an environment variable or a command-line flag is invalid."""


class StoreError(LineageError):
    """The store cannot be opened, migrated, read or written."""


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


class InvalidTime(LineageError):
    """A time argument cannot be understood."""
