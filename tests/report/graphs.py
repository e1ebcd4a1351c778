"""Graphs for the report tests: a small one with every evidence kind, random large DAGs."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

AS_OF = datetime(2026, 3, 3, tzinfo=UTC)
GENERATED_AT = datetime(2026, 3, 5, 12, 30, tzinfo=UTC)

RUN_CLEAN = "0190a1b2-0000-7000-8000-00000000000a"
RUN_SESSIONS = "0190a1b2-0000-7000-8000-00000000000b"
RUN_TRAINING = "0190a1b2-0000-7000-8000-00000000000c"
RUN_USERS = "0190a1b2-0000-7000-8000-00000000000d"


def _node(
    table: str, snapshot: int, day: int, run: str | None, job: str | None, code: str | None
) -> dict[str, Any]:
    return {
        "table": table,
        "snapshot": snapshot,
        "committed_at": f"2026-03-0{day}T10:00:00.000Z",
        "schema_id": 1,
        "run": run,
        "job": job,
        "code_version": code,
        "run_state": "COMPLETE" if run else None,
        "started_at": f"2026-03-0{day}T09:55:00.000Z" if run else None,
        "ended_at": f"2026-03-0{day}T10:00:01.000Z" if run else None,
    }


def _link(
    source: tuple[str, int], target: tuple[str, int], run: str, evidence: Any
) -> dict[str, Any]:
    return {
        "from_table": source[0],
        "from_snapshot": source[1],
        "to_table": target[0],
        "to_snapshot": target[1],
        "run": run,
        "evidence": evidence,
    }


EVENTS = ("lake.raw.events", 6104958827316271001)
USERS = ("deltas.users", 7)
CLEAN = ("lake.staging.clean_events", 6104958827316271002)
SESSIONS = ("lake.staging.sessions", 6104958827316271003)
TRAINING = ("lake.features.training_set", 6104958827316271004)


def build_provenance() -> dict[str, Any]:
    """Events (no known run) feed two jobs whose outputs and a Delta table feed the root."""
    return {
        "root": TRAINING[0],
        "as_of": "2026-03-03T00:00:00.000Z",
        "known_at": None,
        "nodes": [
            _node(*TRAINING, 2, RUN_TRAINING, "airflow/build_training", "git:c0ffee1"),
            _node(*CLEAN, 1, RUN_CLEAN, "spark/clean_events", "git:abc1234"),
            _node(*SESSIONS, 1, RUN_SESSIONS, "spark/sessionize", "git:abc1234"),
            _node(*EVENTS, 1, None, None, None),
            _node(*USERS, 1, RUN_USERS, "dbt/users", "sql:select 1"),
        ],
        "edges": [
            _link(
                EVENTS,
                CLEAN,
                RUN_CLEAN,
                [{"kind": "commit_property", "detail": "lineage.run-id"}],
            ),
            _link(
                EVENTS,
                SESSIONS,
                RUN_SESSIONS,
                [{"kind": "dataset_version", "detail": "version facet 6104958827316271001"}],
            ),
            _link(
                CLEAN,
                TRAINING,
                RUN_TRAINING,
                [{"kind": "inferred", "detail": "head at run start"}],
            ),
            _link(
                SESSIONS,
                TRAINING,
                RUN_TRAINING,
                [
                    {"kind": "commit_property", "detail": "spark.app.id"},
                    {"kind": "dataset_version", "detail": {"facet": "icebergScanReport"}},
                ],
            ),
            _link(USERS, TRAINING, RUN_TRAINING, "inferred"),
        ],
    }


def build_lineage() -> dict[str, Any]:
    """Table-level lineage of the same graph, with string and null evidence."""
    nodes = [
        {"table": table, "snapshot": snapshot, "committed_at": "2026-03-01T10:00:00.000Z"}
        for table, snapshot in (TRAINING, CLEAN, SESSIONS, EVENTS, USERS)
    ]
    edges = [
        {
            "from": EVENTS[0],
            "to": CLEAN[0],
            "job": "spark/clean_events",
            "run": RUN_CLEAN,
            "evidence": [{"kind": "openlineage_event", "detail": "COMPLETE event"}],
        },
        {
            "from": EVENTS[0],
            "to": SESSIONS[0],
            "job": "spark/sessionize",
            "run": RUN_SESSIONS,
            "evidence": "dataset_version",
        },
        {
            "from": CLEAN[0],
            "to": TRAINING[0],
            "job": "airflow/build_training",
            "run": RUN_TRAINING,
            "evidence": None,
        },
        {
            "from": SESSIONS[0],
            "to": TRAINING[0],
            "job": "airflow/build_training",
            "run": RUN_TRAINING,
            "evidence": [{"kind": "inferred", "detail": "time window"}],
        },
        {
            "from": USERS[0],
            "to": TRAINING[0],
            "job": "airflow/build_training",
            "run": RUN_TRAINING,
            "evidence": [{"kind": "commit_property", "detail": "lineage.run-id"}],
        },
    ]
    return {
        "root": TRAINING[0],
        "as_of": "2026-03-03T00:00:00.000Z",
        "known_at": None,
        "direction": "upstream",
        "depth": None,
        "nodes": nodes,
        "edges": edges,
    }


def random_provenance(count: int, seed: int) -> dict[str, Any]:
    """A random DAG of ``count`` snapshots: node i reads 1-3 earlier ones; the last is the root."""
    chooser = random.Random(seed)
    nodes = [
        {
            "table": f"lake.db{i % 7}.table_{i:03d}",
            "snapshot": 1000 + i,
            "committed_at": f"2026-03-01T{i // 60 % 24:02d}:{i % 60:02d}:00.000Z",
            "schema_id": i % 3,
            "run": f"run-{i:03d}" if i % 5 else None,
            "job": f"job-{i % 11}" if i % 5 else None,
            "code_version": f"git:{i % 4:07x}" if i % 5 else None,
        }
        for i in range(count)
    ]
    kinds = ["commit_property", "dataset_version", "inferred", "openlineage_event"]
    edges = []
    for i in range(1, count):
        for j in sorted(chooser.sample(range(i), min(i, chooser.randint(1, 3)))):
            edges.append(
                {
                    "from_table": nodes[j]["table"],
                    "from_snapshot": nodes[j]["snapshot"],
                    "to_table": nodes[i]["table"],
                    "to_snapshot": nodes[i]["snapshot"],
                    "run": nodes[i]["run"],
                    "evidence": [{"kind": chooser.choice(kinds), "detail": f"d{i}-{j}"}],
                }
            )
    return {
        "root": nodes[-1]["table"],
        "as_of": None,
        "known_at": None,
        "nodes": nodes,
        "edges": edges,
    }
