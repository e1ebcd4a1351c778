"""``erasure verify``: re-run the erasure check (or take an engine's counts) and record the
result as a fact."""

from __future__ import annotations

import json
from pathlib import Path

from temporal_lineage.errors import ConfigError
from temporal_lineage.query.erasure import Erasure
from temporal_lineage.query.governance_shapes import erasure_json
from temporal_lineage.store import Store
from temporal_lineage.times import now


def read_engine_results(path: Path) -> dict[tuple[str, int], int]:
    """Counts an engine produced for the report's queries: a JSON list of
    ``{"table", "snapshot", "rows"}``, by (table, snapshot).

    Raises:
        ConfigError: one line naming the file and the item that is wrong.
    """
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read engine results: {exc}") from None
    if not isinstance(items, list):
        raise ConfigError(f"{path}: engine results must be a JSON list")
    counts: dict[tuple[str, int], int] = {}
    for index, item in enumerate(items):
        ok = isinstance(item, dict) and isinstance(item.get("table"), str)
        values = [item.get("snapshot"), item.get("rows")] if ok else []
        if not ok or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ConfigError(
                f'{path}: item {index}: expected {{"table": str, "snapshot": int, '
                f'"rows": int}}, got {json.dumps(item)[:80]}'
            )
        if values[1] < 0:
            raise ConfigError(f"{path}: item {index}: rows must not be negative")
        counts[(item["table"], values[0])] = values[1]
    return counts


def record_verification(store: Store, answer: Erasure, method: str) -> int:
    """Record the answer as a verification fact of its source table; returns its id."""
    with store.reader() as reader:
        table = reader.get_table(answer.table)
    return store.record_erasure_check(
        table, str(answer.where), answer.complete, method, erasure_json(answer), now()
    )
