"""Ground truth of schema-change propagation: the records of timeline.json's ``propagation``.

For a renamed or dropped column, each downstream column (fed by it through the declared
column lineage of the consumer job's run in force just before the change) and its status
at a few instants: ``pending`` (no run of the consumer job started since the change),
``broken`` (the latest run since the change failed, or its SQL still names the old column)
or ``adopted`` (the latest run since the change completed), with the runs that show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PENDING = "pending"
BROKEN = "broken"
ADOPTED = "adopted"
STATUSES = (PENDING, BROKEN, ADOPTED)
RENAMED = "renamed"
DROPPED = "dropped"


@dataclass(frozen=True)
class StatusRecord:
    """The status of a downstream column at one instant, and the runs behind it.

    ``runs``: none when pending; the failed runs since the change when broken by a failure
    (the latest run when broken by its SQL); the failed runs since the change and then the
    latest (successful) run when adopted.
    """

    as_of: str
    status: str
    runs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"as_of": self.as_of, "status": self.status, "runs": list(self.runs)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StatusRecord:
        """Read the JSON form."""
        return cls(as_of=d["as_of"], status=d["status"], runs=tuple(d["runs"]))


@dataclass(frozen=True)
class DownstreamRecord:
    """A column fed by the changed column, the job that computes it, and its statuses."""

    table: str | None
    column: str
    job: str
    statuses: tuple[StatusRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "table": self.table,
            "column": self.column,
            "job": self.job,
            "statuses": [s.to_dict() for s in self.statuses],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DownstreamRecord:
        """Read the JSON form."""
        return cls(
            table=d["table"],
            column=d["column"],
            job=d["job"],
            statuses=tuple(StatusRecord.from_dict(s) for s in d["statuses"]),
        )


@dataclass(frozen=True)
class PropagationRecord:
    """One schema change of a table (a rename or a drop) and how it reached its consumers.

    ``old_path`` is the column's name before the change, ``path`` after it (the same name
    for a drop, as the product reports it); ``effective_at`` the moment the new schema
    became current.
    """

    table: str
    change: str
    field_id: int | None
    old_path: str
    path: str
    effective_at: str
    downstream: tuple[DownstreamRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "table": self.table,
            "change": self.change,
            "field_id": self.field_id,
            "old_path": self.old_path,
            "path": self.path,
            "effective_at": self.effective_at,
            "downstream": [d.to_dict() for d in self.downstream],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PropagationRecord:
        """Read the JSON form."""
        return cls(
            table=d["table"],
            change=d["change"],
            field_id=d.get("field_id"),
            old_path=d["old_path"],
            path=d["path"],
            effective_at=d["effective_at"],
            downstream=tuple(DownstreamRecord.from_dict(x) for x in d["downstream"]),
        )
