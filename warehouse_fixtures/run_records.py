"""Ground truth of job runs: what each run read and wrote, and the evidence a link should have."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COMMIT_PROPERTY = "commit_property"
"""The run id is in the commit (Iceberg snapshot summary / Delta commitInfo)."""
DATASET_VERSION = "dataset_version"
"""No tag, but the run's OpenLineage ``version`` facet names the snapshot."""
INFERRED = "inferred"
"""Neither: the time window (output) or the input's head at the run start (input)."""
EVIDENCE_KINDS = (COMMIT_PROPERTY, DATASET_VERSION, INFERRED)

COMPLETE = "COMPLETE"
FAIL = "FAIL"


@dataclass(frozen=True)
class RunDataset:
    """One input or output of a run: the dataset as named in its events, and what it is.

    ``table`` is the warehouse table (None for datasets outside the warehouse, such as a
    Kafka topic); ``snapshot`` the exact snapshot read or produced; ``evidence`` the
    strongest evidence the product can derive for that link (None when ``table`` is).
    """

    table: str | None
    snapshot: int | None
    evidence: str | None = None
    namespace: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        dataset = None if self.name is None else {"namespace": self.namespace, "name": self.name}
        return {
            "table": self.table,
            "snapshot": self.snapshot,
            "evidence": self.evidence,
            "dataset": dataset,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunDataset:
        """Read the JSON form (older files have only ``table`` and ``snapshot``)."""
        dataset = d.get("dataset") or {}
        return cls(
            table=d["table"],
            snapshot=d["snapshot"],
            evidence=d.get("evidence"),
            namespace=dataset.get("namespace"),
            name=dataset.get("name"),
        )


RunInput = RunDataset
RunOutput = RunDataset


@dataclass(frozen=True)
class ColumnEdge:
    """One column-lineage edge a run declared: input column -> output column.

    Column names are as the run named them (as they were called when it ran); ``table`` and
    ``input_table`` are the warehouse tables behind the datasets (None outside the
    warehouse, such as the Kafka topic); ``namespace``/``name`` and ``input_namespace``/
    ``input_name`` the datasets as named in the run's events.
    """

    table: str | None
    column: str
    input_table: str | None
    input_column: str
    type: str
    subtype: str | None
    namespace: str
    name: str
    input_namespace: str
    input_name: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "table": self.table,
            "column": self.column,
            "input_table": self.input_table,
            "input_column": self.input_column,
            "type": self.type,
            "subtype": self.subtype,
            "dataset": {"namespace": self.namespace, "name": self.name},
            "input_dataset": {"namespace": self.input_namespace, "name": self.input_name},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnEdge:
        """Read the JSON form."""
        return cls(
            table=d["table"],
            column=d["column"],
            input_table=d["input_table"],
            input_column=d["input_column"],
            type=d["type"],
            subtype=d["subtype"],
            namespace=d["dataset"]["namespace"],
            name=d["dataset"]["name"],
            input_namespace=d["input_dataset"]["namespace"],
            input_name=d["input_dataset"]["name"],
        )


@dataclass(frozen=True)
class RunRecord:
    """A job run: identity, state, window, code, parent, and its inputs and outputs.

    ``started_at`` / ``ended_at`` are the ``eventTime`` of its START and of its COMPLETE or
    FAIL event. ``outputs`` has one entry per snapshot the run produced (an Iceberg
    overwrite produces a delete and an append snapshot); a failed run produced none.
    ``column_lineage`` is the column lineage the run declared (sent in its COMPLETE event;
    empty for a failed run).
    """

    run_id: str
    day: int
    job: str
    inputs: tuple[RunDataset, ...]
    outputs: tuple[RunDataset, ...]
    namespace: str = ""
    state: str = COMPLETE
    started_at: str | None = None
    ended_at: str | None = None
    code_version: str | None = None
    parent_run_id: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    sql: str | None = None
    error: str | None = None
    column_lineage: tuple[ColumnEdge, ...] = ()

    @property
    def output_tables(self) -> tuple[str, ...]:
        """The warehouse tables the run wrote, in first-written order."""
        return tuple(dict.fromkeys(o.table for o in self.outputs if o.table is not None))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "run_id": self.run_id,
            "job": self.job,
            "namespace": self.namespace,
            "day": self.day,
            "state": self.state,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "code_version": self.code_version,
            "parent_run_id": self.parent_run_id,
            "parameters": dict(self.parameters),
            "sql": self.sql,
            "error": self.error,
            "inputs": [i.to_dict() for i in self.inputs],
            "outputs": [o.to_dict() for o in self.outputs],
            "column_lineage": [e.to_dict() for e in self.column_lineage],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunRecord:
        """Read the JSON form."""
        return cls(
            run_id=d["run_id"],
            day=d["day"],
            job=d["job"],
            inputs=tuple(RunDataset.from_dict(i) for i in d["inputs"]),
            outputs=tuple(
                RunDataset.from_dict(o)
                if isinstance(o, Mapping)
                else RunDataset(table=str(o), snapshot=None)
                for o in d["outputs"]
            ),
            namespace=d.get("namespace", ""),
            state=d.get("state", COMPLETE),
            started_at=d.get("started_at"),
            ended_at=d.get("ended_at"),
            code_version=d.get("code_version"),
            parent_run_id=d.get("parent_run_id"),
            parameters=dict(d.get("parameters") or {}),
            sql=d.get("sql"),
            error=d.get("error"),
            column_lineage=tuple(ColumnEdge.from_dict(e) for e in d.get("column_lineage") or []),
        )
