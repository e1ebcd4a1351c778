"""Ground truth of day 8's governance story: the records of timeline.json's ``governance``.

``erasure`` is what the erasure check of the data subject should find once every erasure
step is done: for each table that holds (or held) the subject's rows, which snapshots
return rows for the predicate, which are still readable in the source (not expired, not
vacuumed), and the status (``holds`` when a readable snapshot still returns rows, else
``clean``). ``policies`` is the expected outcome of each policy of lineage.yaml and
``masked`` where a tag stops at a masking transformation. All hold as of ``as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLEAN = "clean"
HOLDS = "holds"


@dataclass(frozen=True)
class HoldingRecord:
    """One snapshot of a table and the rows of the data subject it returns.

    ``in_source``: the table's metadata / log still lists it (False once expired);
    ``readable``: its data can still be read (False once expired or vacuumed);
    ``rows``: the subject's rows it returns when read (what it held when written).
    """

    snapshot: int
    committed_at: str
    in_source: bool
    readable: bool
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "snapshot": self.snapshot,
            "committed_at": self.committed_at,
            "in_source": self.in_source,
            "readable": self.readable,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HoldingRecord:
        """Read the JSON form."""
        return cls(d["snapshot"], d["committed_at"], d["in_source"], d["readable"], d["rows"])


@dataclass(frozen=True)
class CarryRecord:
    """The subject's key reaches ``column`` from ``from_column`` of ``from_table``, copied by
    a run of ``job``."""

    column: str
    from_table: str
    from_column: str
    job: str
    run: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "column": self.column,
            "from_table": self.from_table,
            "from_column": self.from_column,
            "job": self.job,
            "run": self.run,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CarryRecord:
        """Read the JSON form."""
        return cls(d["column"], d["from_table"], d["from_column"], d["job"], d["run"])


@dataclass(frozen=True)
class ErasureTableRecord:
    """One table of the erasure answer: how the key reaches it, its head, its snapshots."""

    table: str
    status: str
    carried_by: tuple[CarryRecord, ...]
    head: int
    head_rows: int
    snapshots: tuple[HoldingRecord, ...]

    @property
    def holding(self) -> tuple[HoldingRecord, ...]:
        """The readable snapshots that still return rows of the subject."""
        return tuple(s for s in self.snapshots if s.readable and s.rows > 0)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "table": self.table,
            "status": self.status,
            "carried_by": [c.to_dict() for c in self.carried_by],
            "head": {"snapshot": self.head, "rows": self.head_rows},
            "snapshots": [s.to_dict() for s in self.snapshots],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ErasureTableRecord:
        """Read the JSON form."""
        return cls(
            table=d["table"],
            status=d["status"],
            carried_by=tuple(CarryRecord.from_dict(c) for c in d["carried_by"]),
            head=d["head"]["snapshot"],
            head_rows=d["head"]["rows"],
            snapshots=tuple(HoldingRecord.from_dict(s) for s in d["snapshots"]),
        )


@dataclass(frozen=True)
class ErasureRecord:
    """A data subject (``where`` on ``table``), when its erasure was requested (the start
    of the erasure run), when its last step was done, and what each table still holds."""

    table: str
    where: str
    requested_at: str
    done_at: str
    tables: tuple[ErasureTableRecord, ...]

    @property
    def complete(self) -> bool:
        """Whether no readable snapshot of any table returns rows of the subject."""
        return all(t.status == CLEAN for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "table": self.table,
            "where": self.where,
            "requested_at": self.requested_at,
            "done_at": self.done_at,
            "tables": [t.to_dict() for t in self.tables],
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ErasureRecord:
        """Read the JSON form."""
        return cls(
            table=d["table"],
            where=d["where"],
            requested_at=d["requested_at"],
            done_at=d["done_at"],
            tables=tuple(ErasureTableRecord.from_dict(t) for t in d["tables"]),
        )


@dataclass(frozen=True)
class ViolationRecord:
    """A table (and column, for a column-level rule) that breaks a policy, and why."""

    table: str
    column: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"table": self.table, "column": self.column, "detail": self.detail}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ViolationRecord:
        """Read the JSON form."""
        return cls(d["table"], d["column"], d["detail"])


@dataclass(frozen=True)
class PolicyRecord:
    """The expected outcome of one policy of lineage.yaml."""

    policy: str
    violations: tuple[ViolationRecord, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing violates the policy."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "policy": self.policy,
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PolicyRecord:
        """Read the JSON form."""
        return cls(d["policy"], tuple(ViolationRecord.from_dict(v) for v in d["violations"]))


@dataclass(frozen=True)
class MaskedRecord:
    """Tag ``tag`` of ``from_table.from_column`` stops at ``table.column``: a run of ``job``
    masks it there (a masking function in its SQL, ``masking: true`` in its lineage)."""

    tag: str
    table: str
    column: str
    from_table: str
    from_column: str
    job: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "tag": self.tag,
            "table": self.table,
            "column": self.column,
            "from_table": self.from_table,
            "from_column": self.from_column,
            "job": self.job,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MaskedRecord:
        """Read the JSON form."""
        return cls(d["tag"], d["table"], d["column"], d["from_table"], d["from_column"], d["job"])


@dataclass(frozen=True)
class GovernanceRecord:
    """What the governance answers should be as of ``as_of`` (after day 8's last step)."""

    as_of: str
    erasure: ErasureRecord
    policies: tuple[PolicyRecord, ...]
    masked: tuple[MaskedRecord, ...]

    def policy(self, name: str) -> PolicyRecord:
        """Return the expected outcome of one policy."""
        return next(p for p in self.policies if p.policy == name)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "as_of": self.as_of,
            "erasure": self.erasure.to_dict(),
            "policies": [p.to_dict() for p in self.policies],
            "masked": [m.to_dict() for m in self.masked],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GovernanceRecord:
        """Read the JSON form."""
        return cls(
            as_of=d["as_of"],
            erasure=ErasureRecord.from_dict(d["erasure"]),
            policies=tuple(PolicyRecord.from_dict(p) for p in d["policies"]),
            masked=tuple(MaskedRecord.from_dict(m) for m in d["masked"]),
        )
