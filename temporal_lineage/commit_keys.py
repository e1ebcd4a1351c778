"""The keys by which a commit names the run that made it (the ``commit_property`` evidence)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_RUN_ID_KEYS = ("lineage.run-id",)
"""Commit properties holding our run id unless a source configures others."""

KEY_VALUE_WIDTH = 400
"""The longest key value kept; a longer one names no run (ids are short) and is ignored."""

RUN_ID = "run_id"
"""The canonical key of our own run id (found under any of a source's ``run_id_keys``)."""

ENGINE_KEYS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "spark.app.id": (("spark.app.id",), ("app-id",)),
    "flink.job-id": (("flink.job-id",),),
    "trino_query_id": (("trino_query_id",),),
    "job.runId": (("job", "runId"), ("job.runId",)),
}
"""Engine ids, by canonical name, and where commits carry them (Iceberg summary keys,
Delta commitInfo paths: Databricks writes ``{"job": {"runId": ...}}``)."""


_ENGINE_ROOTS = frozenset(path[0] for paths in ENGINE_KEYS.values() for path in paths)
"""The top-level keys an engine id can sit under: most commits have none of them."""


def _lookup(summary: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = summary
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def commit_keys(summary: Mapping[str, Any], run_id_keys: Sequence[str]) -> list[tuple[str, str]]:
    """The (canonical key, value) pairs in a commit that can name its run.

    >>> commit_keys({"lineage.run-id": "ABC", "app-id": "local-1"}, ["lineage.run-id"])
    [('run_id', 'abc'), ('spark.app.id', 'local-1')]
    """
    found: list[tuple[str, str]] = []
    for key in run_id_keys:
        value = summary.get(key)
        if isinstance(value, str) and value.strip():
            if len(value) <= KEY_VALUE_WIDTH:
                found.append((RUN_ID, value.strip().lower()))
            break
    if _ENGINE_ROOTS.isdisjoint(summary):
        return found  # the common case (initial syncs see 10,000s of commits)
    for canonical, paths in ENGINE_KEYS.items():
        for path in paths:
            value = _lookup(summary, path)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                text = str(value).strip()
                if len(text) <= KEY_VALUE_WIDTH:
                    found.append((canonical, text))
                break
    return found
