"""What a commit did to the data, read from its own metadata (Iceberg snapshot summary, Delta
commitInfo): whether it changed rows at all, which version it restored, how many rows it
added, removed or marked deleted.

A commit that changes no rows (Iceberg ``replace``, Delta OPTIMIZE / ZORDER BY, or one whose
actions all carry ``dataChange=false``) or that restores an earlier state (Delta RESTORE)
produces no new data: provenance passes through it to the snapshot whose data it keeps.

>>> effect = commit_effect("RESTORE", {"operationParameters": {"version": 1}})
>>> effect.data_change, effect.restores
(True, 1)
>>> commit_effect("replace", {"added-records": "10", "deleted-records": "10"}).data_change
False
>>> commit_effect("DELETE", {"operationMetrics": {"numDeletedRows": "3"}}).rows_removed
3
>>> commit_effect("append", {"source-snapshot-id": "42", "published-wap-id": "w1"}).publishes
42
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DATA_CHANGE_KEY = "temporal-lineage.data-change"
"""Summary key a source sets to ``false`` when every action of a commit said
``dataChange: false`` (Delta); the formats' own keys are never rewritten."""

ADDED_BYTES_KEY = "temporal-lineage.added-bytes"
"""Summary key a source sets to the bytes of the data files a commit added (Delta: the sum of
its ``add`` actions' sizes; Iceberg's own ``added-files-size`` says the same)."""
REMOVED_BYTES_KEY = "temporal-lineage.removed-bytes"
"""Summary key a source sets to the bytes of the data files a commit removed (Delta
``remove`` sizes); absent when an action did not say its size."""

_PRESERVING_OPERATIONS = frozenset(
    {"replace", "OPTIMIZE", "ZORDER", "REORG", "VACUUM START", "VACUUM END"}
)
"""Operations that rewrite files but keep every row (Iceberg ``replace`` is compaction)."""
_RESTORE = "RESTORE"

_ADDED = (
    "added-records",
    "numTargetRowsInserted",
    "num_target_rows_inserted",
    "numOutputRows",
    "num_added_rows",
)
_REMOVED = (
    "deleted-records",
    "numTargetRowsDeleted",
    "num_target_rows_deleted",
    "numDeletedRows",
    "num_deleted_rows",
)
_UPDATED = ("numTargetRowsUpdated", "num_target_rows_updated", "numUpdatedRows", "num_updated_rows")
_POSITION_DELETES = ("added-position-deletes",)
_EQUALITY_DELETES = ("added-equality-deletes",)
_DELETE_FILES = ("added-delete-files", "numDeletionVectorsAdded", "numTargetDeletionVectorsAdded")


@dataclass(frozen=True)
class CommitEffect:
    """What one commit did to the rows of its table."""

    data_change: bool
    """False: the commit rewrote files (or only metadata) and kept every row."""
    restores: int | None = None
    """The version a Delta RESTORE brought back (None when it restored by time)."""
    restores_time: str | None = None
    """The timestamp a Delta RESTORE named instead of a version."""
    publishes: int | None = None
    """The staged snapshot an Iceberg cherry-pick published (``source-snapshot-id``, with
    Spark's ``published-wap-id``): the new data is that snapshot's."""
    rows_added: int | None = None
    rows_removed: int | None = None
    """Rows gone from the table: deleted, or the old side of updated rows."""
    rows_updated: int | None = None
    rows_deleted: int | None = None
    """Rows marked deleted without rewriting their files (Iceberg position / equality
    deletes, Delta deletion vectors): still in the data files, hidden by the marks."""
    delete_files: int | None = None
    """Delete files (Iceberg) or deletion vectors (Delta) the commit added."""

    @property
    def preserves_data(self) -> bool:
        """The data read at this snapshot is the data of an earlier one."""
        return not self.data_change or self.restores is not None or self.publishes is not None


def _number(summary: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    metrics = summary.get("operationMetrics")
    places = (summary, metrics) if isinstance(metrics, Mapping) else (summary,)
    for place in places:
        for key in keys:
            value = place.get(key)
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
    return None


def _restored(summary: Mapping[str, Any]) -> tuple[int | None, str | None]:
    parameters = summary.get("operationParameters")
    if not isinstance(parameters, Mapping):
        return None, None
    version = parameters.get("version")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    if isinstance(version, int) and not isinstance(version, bool):
        return version, None
    timestamp = parameters.get("timestamp")
    return None, str(timestamp) if timestamp is not None else None


def _published(summary: Mapping[str, Any]) -> int | None:
    """The snapshot a cherry-pick copied, from the Iceberg summary."""
    value = summary.get("source-snapshot-id")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def commit_effect(operation: str | None, summary: Mapping[str, Any]) -> CommitEffect:
    """The effect of a commit, from its operation and summary / commitInfo."""
    restores = restores_time = None
    if operation == _RESTORE:
        restores, restores_time = _restored(summary)
    flagged = summary.get(DATA_CHANGE_KEY)
    data_change = operation not in _PRESERVING_OPERATIONS and flagged not in (False, "false")
    if operation == _RESTORE:
        data_change = True  # new data relative to its parent: the restored version's
    removed = _number(summary, _REMOVED)
    delete_files = _number(summary, _DELETE_FILES)
    marks = [_number(summary, _POSITION_DELETES), _number(summary, _EQUALITY_DELETES)]
    deleted = sum(m for m in marks if m is not None) if any(m is not None for m in marks) else None
    if deleted is None and delete_files and "operationMetrics" in summary:
        deleted = removed  # Delta: the removed rows are hidden by the deletion vectors
    return CommitEffect(
        data_change=data_change,
        restores=restores,
        restores_time=restores_time,
        publishes=_published(summary),
        rows_added=_number(summary, _ADDED),
        rows_removed=removed,
        rows_updated=_number(summary, _UPDATED),
        rows_deleted=deleted,
        delete_files=delete_files,
    )
