"""The warehouse's jobs: names, code revisions (git SHAs), dataset names and SQL text."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from temporal_lineage.instrument import DatasetRef, Symlink

JOB_NAMESPACE = "warehouse"
SOURCE_URL = "https://git.example.com/data/ml-pipelines.git"


@dataclass(frozen=True)
class CodeRevision:
    """A deployed version of a job's code, in force from FIRST_DAY on."""

    first_day: int
    label: str
    tags_commits: bool = True
    reports_versions: bool = True

    def sha(self, job: str) -> str:
        """Return the (deterministic, made-up) git SHA of this revision."""
        return hashlib.sha1(f"{job}@{self.label}".encode()).hexdigest()


@dataclass(frozen=True)
class JobSpec:
    """A job and its code revisions, oldest first."""

    name: str
    revisions: tuple[CodeRevision, ...]

    def revision(self, day: int) -> CodeRevision:
        """Return the revision deployed on a day."""
        deployed = [r for r in self.revisions if r.first_day <= day]
        if not deployed:
            raise ValueError(f"{self.name} is not deployed yet on day {day}")
        return deployed[-1]


DAILY_PIPELINE = JobSpec("daily-pipeline", (CodeRevision(1, "v1"),))
INGEST_EVENTS = JobSpec(
    "ingest-events",
    (
        CodeRevision(1, "v1: append only", tags_commits=False),
        CodeRevision(2, "v2: tag commits with the run id"),
    ),
)
SYNC_USERS = JobSpec(
    "sync-users",
    (CodeRevision(1, "v1: CRM export upsert", tags_commits=False, reports_versions=False),),
)
BUILD_USER_FEATURES = JobSpec(
    "build-user-features",
    (
        CodeRevision(1, "v1"),
        CodeRevision(2, "v2: amount_sum renamed total_amount"),
        CodeRevision(3, "v3: avg_amount"),
        CodeRevision(4, "v4: incremental, legacy_score dropped, event_count long"),
    ),
)
BUILD_TRAINING_SET = JobSpec(
    "build-training-set",
    (
        CodeRevision(2, "v1: country from deltas.users"),
        CodeRevision(5, "v2: country from raw.events"),
    ),
)
TRAINING_READS_USERS_UNTIL = 4
"""The last day build-training-set reads deltas.users (v2 takes country from raw.events)."""

KAFKA_CLICKSTREAM = DatasetRef("kafka://events-broker.example.com:9092", "clickstream")
CRM_CUSTOMERS = DatasetRef("postgres://crm.example.com:5432", "crm.public.customers")
USERS_IN_METASTORE = DatasetRef(
    "hive://metastore.example.com:9083", "crm.users", (Symlink("deltas", "deltas.users"),)
)
"""deltas.users as build-training-set names it: a metastore name plus a symlink (rule 1)."""


def iceberg_dataset(table_name: str) -> DatasetRef:
    """Name an Iceberg table by source and identifier (``lake`` + ``raw.events``, rule 3)."""
    source, _, identifier = table_name.partition(".")
    return DatasetRef(source, identifier)


def location_dataset(path: str) -> DatasetRef:
    """Name a table by its storage location (``file`` + absolute path, rule 2)."""
    return DatasetRef("file", path)


_FEATURE_EXPRESSIONS = {
    "user_id": "user_id",
    "amount_sum": "COALESCE(SUM(amount), 0.0) AS amount_sum",
    "total_amount": "COALESCE(SUM(amount), 0.0) AS total_amount",
    "legacy_score": "COALESCE(SUM(amount), 0.0) / COUNT(*) AS legacy_score",
    "avg_amount": "CAST(AVG(amount) AS DECIMAL(10, 2)) AS avg_amount",
    "stats": "NAMED_STRUCT('first_ts', MIN(ts), 'last_ts', MAX(ts)) AS stats",
}


def features_sql(target: pa.Schema, after_event_id: int | None) -> str:
    """Return the SQL that build-user-features runs for a target schema (its column names)."""
    columns = []
    for f in target:
        if f.name == "event_count":
            count = "COUNT(*)" if pa.types.is_int64(f.type) else "CAST(COUNT(*) AS INT)"
            columns.append(f"{count} AS event_count")
        else:
            columns.append(_FEATURE_EXPRESSIONS[f.name])
    where = "" if after_event_id is None else f"\nWHERE event_id > {after_event_id}"
    select = ",\n       ".join(columns)
    return f"SELECT {select}\nFROM raw.events{where}\nGROUP BY user_id"


def training_sql(reads_users: bool, extra: Sequence[str]) -> str:
    """Return the SQL that build-training-set runs (country from users, or from events)."""
    columns = [
        "f.user_id",
        "c.country",
        "f.total_amount",
        "CAST(f.event_count AS BIGINT) AS event_count",
        "CAST(f.total_amount > 150.0 AS INT) AS label",
        "CAST(:day_start AS TIMESTAMP) AS as_of",
    ]
    if "avg_amount" in extra:
        columns.append("CAST(f.avg_amount AS DOUBLE) AS avg_amount")
    if "weight" in extra:
        columns.append("f.event_count / 10.0 + 1.0 AS weight")
    if reads_users:
        source = "crm.users c"
    else:
        source = (
            "(SELECT user_id, MAX_BY(country, event_id) AS country\n"
            "      FROM raw.events GROUP BY user_id) c"
        )
    select = ",\n       ".join(columns)
    return f"SELECT {select}\nFROM features.user_features f\nJOIN {source} ON c.user_id = f.user_id"
