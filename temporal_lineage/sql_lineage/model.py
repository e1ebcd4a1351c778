"""Column lineage as frozen values: edges from input columns to output columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EdgeKind = Literal["DIRECT", "INDIRECT"]

IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"
AGGREGATION = "AGGREGATION"
JOIN = "JOIN"
FILTER = "FILTER"
GROUP_BY = "GROUP_BY"
SORT = "SORT"
WINDOW = "WINDOW"
CONDITIONAL = "CONDITIONAL"

DIRECT_SUBTYPES = (IDENTITY, TRANSFORMATION, AGGREGATION)
"""Direct subtypes from the most to the least faithful copy of the input value."""

INDIRECT_SUBTYPES = (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL)
"""Indirect subtypes, as in the OpenLineage column lineage facet."""


@dataclass(frozen=True, order=True)
class ColumnEdge:
    """One input column feeding one output column, typed as in OpenLineage's facet.

    ``source_table`` is the table as the SQL writes it (identifiers lower-cased unless
    quoted, no alias); ``source_column`` is spelled as in the input schema when one is given.

    >>> ColumnEdge("total", "raw.orders", "amount", "DIRECT", "AGGREGATION").subtype
    'AGGREGATION'
    """

    output: str
    source_table: str
    source_column: str
    kind: EdgeKind
    subtype: str

    def __post_init__(self) -> None:
        allowed = DIRECT_SUBTYPES if self.kind == "DIRECT" else INDIRECT_SUBTYPES
        if self.kind not in ("DIRECT", "INDIRECT") or self.subtype not in allowed:
            raise ValueError(f"not a column edge type: {self.kind} {self.subtype}")

    def to_dict(self) -> dict[str, str]:
        """The edge as the JSON answers show it."""
        return {
            "output": self.output,
            "source_table": self.source_table,
            "source_column": self.source_column,
            "kind": self.kind,
            "subtype": self.subtype,
        }


@dataclass(frozen=True, order=True)
class UnresolvedColumn:
    """A column the SQL names that its inputs do not have (as of the run the schemas describe).

    ``table`` is where it was looked up: a table as the SQL writes it, or a CTE, subquery
    or unknown alias. It is None for an unqualified name no single input of its SELECT can
    hold; ``candidates`` then lists those inputs, and ``ambiguous`` says that more than one
    of them has no schema, so any of them might hold it.

    >>> UnresolvedColumn("raw.orders", "amount_sum").describe()
    'column amount_sum not found in raw.orders'
    >>> UnresolvedColumn(None, "amount_sum", ("raw.orders", "raw.customers")).describe()
    'column amount_sum not found in any of raw.orders, raw.customers'
    """

    table: str | None
    column: str
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False

    def describe(self) -> str:
        """One line naming the column and where it was looked up."""
        if self.table is not None:
            return f"column {self.column} not found in {self.table}"
        inputs = ", ".join(self.candidates) or "no input"
        if self.ambiguous:
            return f"column {self.column} is ambiguous: no schema for {inputs}"
        return f"column {self.column} not found in any of {inputs}"
