"""The eight-day story: which job run makes which real write on which day.

Each day is one run of the ``daily-pipeline`` job, the parent of that day's job runs.
Every data write belongs to a job run (see ``warehouse_fixtures.jobs``); table creation,
schema and partition-spec changes, the rollback and snapshot expiry are deploy or
maintenance steps made outside any run, between the runs of the day. Every run that
writes a table declares its column lineage.

Day 7 is maintenance as real lakehouses do it: the day's events are written to an ``audit``
branch and published to main (write-audit-publish), the day's training rows are appended
and compact-training-set runs OPTIMIZE on the training set, and a duplicated users export
is undone with RESTORE.

Two schema changes of lake.features.user_features propagate to build-training-set:

* day 2: ``amount_sum`` is renamed ``total_amount``. build-training-set (v1, which ran on
  day 1 reading ``amount_sum`` into ``total_amount`` and ``label``) fails on its next run:
  its SQL still names ``amount_sum``. The fix (v1.1, a new SHA) is rerun the same day and
  completes, reading ``total_amount``: pending -> broken -> adopted.
* day 4: ``legacy_score`` (read into ``label`` by v1 and v1.1) is dropped; that day's run
  deploys v1.2, whose label no longer reads it: pending -> adopted.

``timeline.json`` records both in ``propagation`` (see ``warehouse_fixtures.propagation``).

Day 8 brings personal data, its classification, a masked and an unmasked copy, and a data
subject's erasure (see ``warehouse_fixtures.governance_story``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform
from pyiceberg.types import (
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    StructType,
    TimestamptzType,
)

from temporal_lineage.instrument import EventEmitter
from warehouse_fixtures.delta_log import MAPPING_MODE
from warehouse_fixtures.delta_tables import DeltaLakeTable
from warehouse_fixtures.facet_emitter import FacetedEmitter
from warehouse_fixtures.governance_jobs import GOVERNANCE_TABLES
from warehouse_fixtures.governance_story import GovernanceDay
from warehouse_fixtures.iceberg_tables import IcebergTable
from warehouse_fixtures.jobs import (
    BUILD_TRAINING_SET,
    BUILD_USER_FEATURES,
    COMPACT_TRAINING_SET,
    CRM_CUSTOMERS,
    INGEST_EVENTS,
    KAFKA_CLICKSTREAM,
    LABEL_AMOUNT,
    LABEL_LEGACY_SCORE,
    SYNC_USERS,
    USERS_IN_METASTORE,
    features_lineage,
    features_sql,
    iceberg_dataset,
    ingest_lineage,
    location_dataset,
    sync_users_lineage,
    training_code,
)
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.pipeline import Pipeline
from warehouse_fixtures.propagation import CHANGE_ACTIONS, derive_propagation
from warehouse_fixtures.synthetic_data import (
    User,
    assign_tiers,
    events_batch,
    features_table,
    latest_countries,
    new_users,
    relocate,
    training_table,
    users_table,
)
from warehouse_fixtures.timeline import TimelineRecorder

EVENTS = "lake.raw.events"
USER_FEATURES = "lake.features.user_features"
USERS = "deltas.users"
TRAINING_SET = "deltas.training_set"
TABLE_NAMES = (EVENTS, USER_FEATURES, USERS, TRAINING_SET, *GOVERNANCE_TABLES)

EVENTS_PER_DAY = 120
AUDIT_BRANCH = "audit"

EVENTS_SCHEMA = Schema(
    NestedField(1, "event_id", LongType(), required=True),
    NestedField(2, "user_id", LongType(), required=True),
    NestedField(3, "ts", TimestamptzType(), required=True),
    NestedField(4, "event_type", StringType(), required=True),
    NestedField(5, "amount", DoubleType(), required=False),
    NestedField(6, "country", StringType(), required=False),
)
EVENTS_SPEC = PartitionSpec(
    PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day")
)
FEATURES_SCHEMA = Schema(
    NestedField(1, "user_id", LongType(), required=True),
    NestedField(2, "amount_sum", DoubleType(), required=False),
    NestedField(3, "event_count", IntegerType(), required=False),
    NestedField(4, "legacy_score", DoubleType(), required=False),
    NestedField(
        5,
        "stats",
        StructType(
            NestedField(6, "first_ts", TimestamptzType(), required=False),
            NestedField(7, "last_ts", TimestamptzType(), required=False),
        ),
        required=False,
    ),
)
USERS_CONFIGURATION = {MAPPING_MODE: "name", "delta.checkpointInterval": "100"}
PROPAGATED_TABLES = (USER_FEATURES,)
"""The tables whose renames and drops are followed in timeline.json's ``propagation``."""


class UnresolvedColumn(RuntimeError):
    """A query names a column its input does not have (as a SQL analyser reports it)."""


def resolve_columns(named: Sequence[str], data: pa.Table, alias: str, table: str) -> None:
    """Check that every column a query names exists in what it reads.

    Raises:
        UnresolvedColumn: the first named column the data lacks.
    """
    for name in named:
        if name not in data.column_names:
            raise UnresolvedColumn(
                f"column {alias}.{name} cannot be resolved: {table} has "
                f"{', '.join(data.column_names)}"
            )


def _known(snapshot_id: int | None) -> int:
    """Return a snapshot id remembered earlier in the story."""
    if snapshot_id is None:
        raise RuntimeError("the story refers to a snapshot that was never recorded")
    return snapshot_id


class Story:
    """Runs the day-by-day pipeline against real pyiceberg / delta-rs tables."""

    def __init__(
        self,
        root: Path,
        catalog: Catalog,
        recorder: TimelineRecorder,
        pacer: CommitPacer,
        client: EventEmitter,
    ) -> None:
        self.rec = recorder
        emitter = FacetedEmitter(client)
        self.pipeline = Pipeline(emitter, recorder)
        self.events = IcebergTable(catalog, EVENTS, recorder, pacer)
        self.features = IcebergTable(catalog, USER_FEATURES, recorder, pacer)
        self.users = DeltaLakeTable(root, USERS.split(".")[1], recorder, pacer)
        self.training = DeltaLakeTable(root, TRAINING_SET.split(".")[1], recorder, pacer)
        self.events_ds = iceberg_dataset(EVENTS)
        self.features_ds = iceberg_dataset(USER_FEATURES)
        self.users_ds = location_dataset(str(self.users.path))
        self.training_ds = location_dataset(str(self.training.path))
        self.known_users: dict[int, User] = {}
        self.next_user_id = 1
        self.next_event_id = 1
        self.good_features_snapshot: int | None = None
        self.unread_features_snapshot: int | None = None
        self.governance = GovernanceDay(root, catalog, recorder, pacer, self.pipeline, emitter)

    def run(self) -> None:
        """Play every day in order, each inside its daily parent run."""
        days: Sequence[Callable[[], None]] = (
            self.day1,
            self.day2,
            self.day3,
            self.day4,
            self.day5,
            self.day6,
            self.day7,
            self.governance.play,
        )
        for number, play in enumerate(days, start=1):
            self.rec.day = number
            with self.pipeline.day(number):
                play()
        self.pipeline.finish()
        changes = [
            e
            for e in self.rec.events
            if e.table in PROPAGATED_TABLES and e.action in CHANGE_ACTIONS
        ]
        self.rec.propagation = list(derive_propagation(self.rec.freeze(), changes))

    # --- days -------------------------------------------------------------------------------

    def day1(self) -> None:
        """Create all tables; first ingest, first features, first training set."""
        self._sync_users("create", self._signup(24, 1))
        self.events.create(EVENTS_SCHEMA, EVENTS_SPEC)
        self._ingest_events()
        self.features.create(FEATURES_SCHEMA)
        self._features("append")
        self._training(create=True)

    def day2(self) -> None:
        """CRM upsert, rename a feature column, full feature overwrite; the training set's
        first run fails on the old name, the fixed code's rerun succeeds."""
        moved = relocate([self.known_users[i] for i in (2, 5, 11, 17)], day=2)
        changed = moved + self._signup(4, 2)
        self._remember(moved)
        self._sync_users("merge", changed)
        self._ingest_events()
        self.features.rename_column("amount_sum", "total_amount")
        self.unread_features_snapshot = self._features("overwrite")[0]  # the empty delete
        self._training()

    def day3(self) -> None:
        """New signups, partition-spec evolution, added decimal feature column."""
        self._sync_users("append", self._signup(4, 3))
        self.events.add_identity_partition("country")
        self._ingest_events()
        self.features.add_column("avg_amount", DecimalType(10, 2), doc="mean purchase amount")
        self.good_features_snapshot = self._features("overwrite")[-1]
        self._training()

    def day4(self) -> None:
        """Rename a Delta column, promote and drop feature columns, a bad incremental append;
        the training set's new code reads avg_amount and no longer legacy_score."""
        self.users.rename_column("name", "full_name")
        moved = relocate([self.known_users[i] for i in (1, 8, 26)], day=4)
        changed = moved + self._signup(2, 4)
        self._remember(moved)
        self._sync_users("merge", changed, name_column="full_name")
        self._ingest_events()
        self.features.promote_column("event_count", LongType())
        self.features.drop_column("legacy_score")
        self._features("append", only_day=4)
        self._training(schema_merge=True)

    def day5(self) -> None:
        """Roll the features back, add a Delta column by hand and one through delta-rs."""
        self._ingest_events()
        self.features.rollback(_known(self.good_features_snapshot))
        self._features("append", only_day=5)
        self.users.add_column_commit("tier", "string")
        tiered = assign_tiers(self.known_users.values())
        self._remember(tiered)
        self._sync_users("merge", tiered, name_column="full_name", with_tier=True)
        self.training.add_columns({"weight": "double"})
        self._training()

    def day6(self) -> None:
        """Expire a feature snapshot no run read (the empty delete snapshot of day 2's
        overwrite), recompute features, more signups."""
        self._ingest_events()
        self.features.expire([_known(self.unread_features_snapshot)])
        self._features("overwrite")
        signups = assign_tiers(self._signup(4, 6))
        self._remember(signups)
        self._sync_users("append", signups, name_column="full_name", with_tier=True)
        self._training()

    def day7(self) -> None:
        """Maintenance: write-audit-publish of the events, an appended training set compacted,
        a duplicated users export restored away."""
        self.events.create_branch(AUDIT_BRANCH)
        self._ingest_events(branch=AUDIT_BRANCH)
        self.events.publish(AUDIT_BRANCH)
        self._training(append=True)
        self._compact_training()
        before = self.users.version
        duplicates = [self.known_users[i] for i in (3, 4)]
        self._sync_users("append", duplicates, name_column="full_name", with_tier=True)
        self.users.restore(before)

    # --- jobs -------------------------------------------------------------------------------

    def _signup(self, count: int, day: int) -> list[User]:
        users = new_users(self.next_user_id, count, day)
        self.next_user_id += count
        self._remember(users)
        return users

    def _remember(self, users: Sequence[User]) -> None:
        for u in users:
            self.known_users[u.user_id] = u

    def _sync_users(
        self,
        mode: str,
        users: Sequence[User],
        name_column: str = "name",
        with_tier: bool = False,
    ) -> None:
        """sync-users: CRM export -> deltas.users; tags nothing, reports no versions."""
        with self.pipeline.run(
            SYNC_USERS,
            self.rec.day,
            inputs=[CRM_CUSTOMERS],
            outputs=[self.users_ds],
            parameters={"mode": mode},
        ) as run:
            run.read_external(CRM_CUSTOMERS)
            data = users_table(users, name_column=name_column, with_tier=with_tier)
            if mode == "create":
                version = self.users.create(
                    data,
                    run.job_run,
                    configuration=USERS_CONFIGURATION,
                    description="CRM users (column mapping: name)",
                )
            elif mode == "merge":
                version = self.users.merge(data, "user_id", run.job_run)
            else:
                version = self.users.append(data, run.job_run)
            columns = sync_users_lineage(CRM_CUSTOMERS, name_column, with_tier)
            run.wrote_delta(self.users, self.users_ds, version, columns)

    def _ingest_events(self, branch: str | None = None) -> None:
        """ingest-events: Kafka clickstream -> lake.raw.events (one append per day, on
        ``branch`` when the day stages it for audit)."""
        with self.pipeline.run(
            INGEST_EVENTS,
            self.rec.day,
            inputs=[KAFKA_CLICKSTREAM],
            outputs=[self.events_ds],
            parameters={"batch_size": str(EVENTS_PER_DAY)},
        ) as run:
            run.read_external(KAFKA_CLICKSTREAM)
            users = sorted(self.known_users.values(), key=lambda u: u.user_id)
            batch = events_batch(self.rec.day, users, self.next_event_id, EVENTS_PER_DAY)
            self.next_event_id += EVENTS_PER_DAY
            snapshots = self.events.append(batch, run.job_run, branch=branch)
            run.wrote_iceberg(
                self.events,
                self.events_ds,
                snapshots,
                ingest_lineage(KAFKA_CLICKSTREAM),
                branch=branch,
            )

    def _features(self, mode: str, only_day: int | None = None) -> list[int]:
        """build-user-features: raw.events -> features.user_features."""
        after = None if only_day is None else (only_day - 1) * EVENTS_PER_DAY
        target = self.features.table.schema().as_arrow()
        parameters = {"mode": mode}
        if after is not None:
            parameters["after_event_id"] = str(after)
        with self.pipeline.run(
            BUILD_USER_FEATURES,
            self.rec.day,
            inputs=[self.events_ds],
            outputs=[self.features_ds],
            parameters=parameters,
            sql=features_sql(target, after),
        ) as run:
            events = run.read_iceberg(self.events, self.events_ds)
            if after is not None:
                events = events.filter(pc.greater(events["event_id"], after))
            data = features_table(events, target)
            if mode == "append":
                snapshots = self.features.append(data, run.job_run)
            else:
                snapshots = self.features.overwrite(data, run.job_run)
            columns = features_lineage(target, self.events_ds)
            run.wrote_iceberg(self.features, self.features_ds, snapshots, columns)
        return snapshots

    def _compact_training(self) -> None:
        """compact-training-set: OPTIMIZE deltas.training_set (reads and writes it)."""
        with self.pipeline.run(
            COMPACT_TRAINING_SET,
            self.rec.day,
            inputs=[self.training_ds],
            outputs=[self.training_ds],
            parameters={"operation": "OPTIMIZE"},
        ) as run:
            run.read_delta(self.training, self.training_ds)
            version = self.training.compact(run.job_run)
            run.wrote_delta(self.training, self.training_ds, version)

    def _training(
        self, create: bool = False, schema_merge: bool = False, append: bool = False
    ) -> None:
        """build-training-set; a run that fails on a column its SQL names but its input no
        longer has is rerun once fixed code is deployed for the next attempt."""
        day = self.rec.day
        attempt = 1
        while True:
            try:
                self._training_attempt(attempt, create, schema_merge, append)
                return
            except UnresolvedColumn:
                fixed = BUILD_TRAINING_SET.revision(day, attempt + 1)
                if fixed == BUILD_TRAINING_SET.revision(day, attempt):
                    raise
                attempt += 1

    def _training_attempt(
        self, attempt: int, create: bool, schema_merge: bool, append: bool = False
    ) -> None:
        """One run: features + users (v1.x) or features + events (v2) -> training set."""
        day = self.rec.day
        code = training_code(day, attempt)
        country_source = USERS_IN_METASTORE if code.reads_users else self.events_ds
        with self.pipeline.run(
            BUILD_TRAINING_SET,
            day,
            inputs=[self.features_ds, country_source],
            outputs=[self.training_ds],
            parameters={
                "mode": "create" if create else ("append" if append else "overwrite"),
                "attempt": str(attempt),
            },
            sql=code.sql(),
            attempt=attempt,
        ) as run:
            features = run.read_iceberg(self.features, self.features_ds)
            if code.reads_users:
                # Read at the latest version without reporting it: an inferred input.
                countries = run.read_delta(self.users, USERS_IN_METASTORE, report_version=False)
            else:
                countries = latest_countries(run.read_iceberg(self.events, self.events_ds))
            resolve_columns(code.feature_columns, features, "f", USER_FEATURES)
            data = training_table(
                features,
                countries,
                day,
                amount=code.amount,
                amount_above=LABEL_AMOUNT,
                legacy_score_above=LABEL_LEGACY_SCORE if code.legacy_label else None,
                extra_columns=code.extra,
            )
            if create:
                version = self.training.create(
                    data, run.job_run, description="daily labelled training set"
                )
            elif schema_merge:
                version = self.training.overwrite(data, run.job_run, schema_mode="merge")
            elif append:
                version = self.training.append(data, run.job_run)
            else:
                version = self.training.overwrite(data, run.job_run)
            columns = code.column_lineage(self.features_ds, country_source)
            run.wrote_delta(self.training, self.training_ds, version, columns)
