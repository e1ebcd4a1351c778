"""The warehouse's jobs: names, code revisions (git SHAs), dataset names, SQL and column lineage.

Every job that writes a table declares the column lineage of what it wrote, naming each
input column as it is called when the run reads it (``amount_sum`` before the day-2 rename,
``total_amount`` after it), exactly as its SQL does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from temporal_lineage.instrument import ColumnInput, DatasetRef, Symlink
from temporal_lineage.instrument.columns import (
    AGGREGATION,
    DIRECT,
    INDIRECT,
    JOIN,
    TRANSFORMATION,
    ColumnMapping,
)

JOB_NAMESPACE = "warehouse"
SOURCE_URL = "https://git.example.com/data/ml-pipelines.git"


@dataclass(frozen=True)
class CodeRevision:
    """A deployed version of a job's code, in force from FIRST_DAY's FIRST_ATTEMPT on.

    ``first_attempt`` > 1 is a fix deployed during a day, for the rerun after a failure.
    """

    first_day: int
    label: str
    tags_commits: bool = True
    reports_versions: bool = True
    first_attempt: int = 1

    def sha(self, job: str) -> str:
        """Return the (deterministic, made-up) git SHA of this revision."""
        return hashlib.sha1(f"{job}@{self.label}".encode()).hexdigest()


@dataclass(frozen=True)
class JobSpec:
    """A job and its code revisions, oldest first."""

    name: str
    revisions: tuple[CodeRevision, ...]

    def revision(self, day: int, attempt: int = 1) -> CodeRevision:
        """Return the revision deployed for an attempt (1 = the first run) on a day."""
        deployed = [r for r in self.revisions if (r.first_day, r.first_attempt) <= (day, attempt)]
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
COMPACT_TRAINING_SET = JobSpec(
    "compact-training-set", (CodeRevision(7, "v1: OPTIMIZE small files"),)
)
"""A maintenance job: reads and writes deltas.training_set, changes no rows."""
BUILD_USER_FEATURES = JobSpec(
    "build-user-features",
    (
        CodeRevision(1, "v1"),
        CodeRevision(2, "v2: amount_sum renamed total_amount"),
        CodeRevision(3, "v3: avg_amount"),
        CodeRevision(4, "v4: incremental, legacy_score dropped, event_count long"),
    ),
)

LABEL_AMOUNT = 150.0
LABEL_LEGACY_SCORE = 40.0
"""The label is 1 when the amount exceeds LABEL_AMOUNT (or, until v1.2, the legacy score
exceeds LABEL_LEGACY_SCORE)."""


@dataclass(frozen=True)
class TrainingCode:
    """What one revision of build-training-set's query names and computes.

    ``amount`` is the name under which it reads the features' amount column (field 2),
    ``legacy_label`` whether its label also reads ``legacy_score``, ``reads_users`` whether
    country comes from deltas.users (else from raw.events), ``extra`` its optional columns.
    """

    amount: str
    legacy_label: bool
    reads_users: bool
    extra: tuple[str, ...] = ()

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """The columns of features.user_features the query names."""
        named = ["user_id", self.amount, "event_count"]
        if self.legacy_label:
            named.append("legacy_score")
        if "avg_amount" in self.extra:
            named.append("avg_amount")
        return tuple(named)

    def sql(self) -> str:
        """The SQL text of the query (country from users, or from events)."""
        label = f"f.{self.amount} > {LABEL_AMOUNT}"
        if self.legacy_label:
            label = f"{label} OR f.legacy_score > {LABEL_LEGACY_SCORE}"
        columns = [
            "f.user_id",
            "c.country",
            "f.total_amount"
            if self.amount == "total_amount"
            else f"f.{self.amount} AS total_amount",
            "CAST(f.event_count AS BIGINT) AS event_count",
            f"CAST({label} AS INT) AS label",
            "CAST(:day_start AS TIMESTAMP) AS as_of",
        ]
        if "avg_amount" in self.extra:
            columns.append("CAST(f.avg_amount AS DOUBLE) AS avg_amount")
        if "weight" in self.extra:
            columns.append("f.event_count / 10.0 + 1.0 AS weight")
        if self.reads_users:
            source = "crm.users c"
        else:
            source = (
                "(SELECT user_id, MAX_BY(country, event_id) AS country\n"
                "      FROM raw.events GROUP BY user_id) c"
            )
        select = ",\n       ".join(columns)
        join = f"JOIN {source} ON c.user_id = f.user_id"
        return f"SELECT {select}\nFROM features.user_features f\n{join}"

    def column_lineage(self, features: DatasetRef, countries: DatasetRef) -> ColumnMapping:
        """Output column -> input columns, as the query names them (``as_of`` is a parameter)."""

        def f(field: str, kind: str = DIRECT, subtype: str = "IDENTITY") -> ColumnInput:
            return ColumnInput.of(features, field, kind, subtype)

        def c(field: str, kind: str = DIRECT, subtype: str = "IDENTITY") -> ColumnInput:
            return ColumnInput.of(countries, field, kind, subtype)

        label = [f(self.amount, DIRECT, TRANSFORMATION)]
        if self.legacy_label:
            label.append(f("legacy_score", DIRECT, TRANSFORMATION))
        country = [c("country")] if self.reads_users else [c("country", DIRECT, AGGREGATION)]
        columns: dict[str, list[ColumnInput]] = {
            "user_id": [f("user_id"), f("user_id", INDIRECT, JOIN), c("user_id", INDIRECT, JOIN)],
            "country": [*country, c("user_id", INDIRECT, JOIN)],
            "total_amount": [f(self.amount)],
            "event_count": [f("event_count", DIRECT, TRANSFORMATION)],
            "label": label,
        }
        if "avg_amount" in self.extra:
            columns["avg_amount"] = [f("avg_amount", DIRECT, TRANSFORMATION)]
        if "weight" in self.extra:
            columns["weight"] = [f("event_count", DIRECT, TRANSFORMATION)]
        return columns


TRAINING_REVISIONS: tuple[tuple[CodeRevision, TrainingCode], ...] = (
    (
        CodeRevision(1, "v1: country from deltas.users"),
        TrainingCode("amount_sum", legacy_label=True, reads_users=True),
    ),
    (
        CodeRevision(2, "v1.1: amount_sum renamed total_amount", first_attempt=2),
        TrainingCode("total_amount", legacy_label=True, reads_users=True),
    ),
    (
        CodeRevision(4, "v1.2: avg_amount, label without legacy_score"),
        TrainingCode("total_amount", legacy_label=False, reads_users=True, extra=("avg_amount",)),
    ),
    (
        CodeRevision(5, "v2: country from raw.events"),
        TrainingCode(
            "total_amount", legacy_label=False, reads_users=False, extra=("avg_amount", "weight")
        ),
    ),
)
"""build-training-set's revisions and their queries: v1 still names ``amount_sum`` (its
day-2 run fails after the rename), v1.1 is the fix rerun the same day, v1.2 stops reading
``legacy_score`` when it is dropped (day 4), v2 takes country from raw.events (day 5)."""
BUILD_TRAINING_SET = JobSpec("build-training-set", tuple(r for r, _ in TRAINING_REVISIONS))


def training_code(day: int, attempt: int = 1) -> TrainingCode:
    """The query build-training-set runs on a day's attempt."""
    return dict(TRAINING_REVISIONS)[BUILD_TRAINING_SET.revision(day, attempt)]


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
    "legacy_score": "COALESCE(SUM(amount), 0.0) / COUNT(event_id) AS legacy_score",
    "avg_amount": "CAST(AVG(amount) AS DECIMAL(10, 2)) AS avg_amount",
    "stats": "NAMED_STRUCT('first_ts', MIN(ts), 'last_ts', MAX(ts)) AS stats",
}


def features_sql(target: pa.Schema, after_event_id: int | None) -> str:
    """Return the SQL that build-user-features runs for a target schema (its column names)."""
    columns = []
    for f in target:
        if f.name == "event_count":
            count = (
                "COUNT(event_id)" if pa.types.is_int64(f.type) else "CAST(COUNT(event_id) AS INT)"
            )
            columns.append(f"{count} AS event_count")
        else:
            columns.append(_FEATURE_EXPRESSIONS[f.name])
    where = "" if after_event_id is None else f"\nWHERE event_id > {after_event_id}"
    select = ",\n       ".join(columns)
    return f"SELECT {select}\nFROM raw.events{where}\nGROUP BY user_id"


_FEATURE_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "user_id": (("user_id", "IDENTITY"),),
    "amount_sum": (("amount", AGGREGATION),),
    "total_amount": (("amount", AGGREGATION),),
    "event_count": (("event_id", AGGREGATION),),
    "legacy_score": (("amount", AGGREGATION), ("event_id", AGGREGATION)),
    "avg_amount": (("amount", AGGREGATION),),
    "stats.first_ts": (("ts", AGGREGATION),),
    "stats.last_ts": (("ts", AGGREGATION),),
}


def features_lineage(target: pa.Schema, events: DatasetRef) -> ColumnMapping:
    """The column lineage of build-user-features for a target schema (see ``features_sql``)."""
    columns: dict[str, list[ColumnInput]] = {}
    for f in target:
        names = [f"{f.name}.{c.name}" for c in f.type] if pa.types.is_struct(f.type) else [f.name]
        for name in names:
            columns[name] = [
                ColumnInput.of(events, field, DIRECT, subtype)
                for field, subtype in _FEATURE_SOURCES[name]
            ]
    return columns


EVENT_COLUMNS = ("event_id", "user_id", "ts", "event_type", "amount", "country")
"""The clickstream fields ingest-events copies into lake.raw.events, unchanged."""


def ingest_lineage(clickstream: DatasetRef) -> ColumnMapping:
    """The column lineage of ingest-events: each column copied from the clickstream."""
    return {name: [ColumnInput.of(clickstream, name)] for name in EVENT_COLUMNS}


def sync_users_lineage(crm: DatasetRef, name_column: str, with_tier: bool) -> ColumnMapping:
    """The column lineage of sync-users: CRM customer columns -> deltas.users columns."""
    pairs = [
        ("user_id", "customer_id"),
        (name_column, "display_name"),
        ("country", "country"),
        ("signup_ts", "signup_ts"),
        ("address.city", "city"),
        ("address.zip", "zip"),
    ]
    if with_tier:
        pairs.append(("tier", "loyalty_tier"))
    return {out: [ColumnInput.of(crm, source)] for out, source in pairs}
