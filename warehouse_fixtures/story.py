"""The six-day ML-pipeline story: which table gets which real write on which day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

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

from warehouse_fixtures.delta_log import MAPPING_MODE
from warehouse_fixtures.delta_tables import DeltaLakeTable
from warehouse_fixtures.iceberg_tables import IcebergTable
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.synthetic_data import (
    User,
    assign_tiers,
    events_batch,
    features_table,
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
TABLE_NAMES = (EVENTS, USER_FEATURES, USERS, TRAINING_SET)

EVENTS_PER_DAY = 120

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


def _known(snapshot_id: int | None) -> int:
    """Return a snapshot id remembered earlier in the story."""
    if snapshot_id is None:
        raise RuntimeError("the story refers to a snapshot that was never recorded")
    return snapshot_id


class Story:
    """Runs the day-by-day pipeline against real pyiceberg / delta-rs tables."""

    def __init__(
        self, root: Path, catalog: Catalog, recorder: TimelineRecorder, pacer: CommitPacer
    ) -> None:
        self.rec = recorder
        self.events = IcebergTable(catalog, EVENTS, recorder, pacer)
        self.features = IcebergTable(catalog, USER_FEATURES, recorder, pacer)
        self.users = DeltaLakeTable(root, USERS.split(".")[1], recorder, pacer)
        self.training = DeltaLakeTable(root, TRAINING_SET.split(".")[1], recorder, pacer)
        self.known_users: dict[int, User] = {}
        self.next_user_id = 1
        self.next_event_id = 1
        self.good_features_snapshot: int | None = None
        self.first_features_snapshot: int | None = None

    def run(self) -> None:
        """Play every day in order."""
        days: Sequence[Callable[[], None]] = (
            self.day1,
            self.day2,
            self.day3,
            self.day4,
            self.day5,
            self.day6,
        )
        for number, play in enumerate(days, start=1):
            self.rec.day = number
            play()

    # --- days -------------------------------------------------------------------------------

    def day1(self) -> None:
        """Create all source tables; first ingest and first features."""
        run = self.rec.start_run("crm-sync", [], [USERS])
        self.users.create(
            users_table(self._signup(24, 1)),
            run,
            configuration=USERS_CONFIGURATION,
            description="CRM users (column mapping: name)",
        )
        self.events.create(EVENTS_SCHEMA, EVENTS_SPEC)
        self._ingest_events()
        self.features.create(FEATURES_SCHEMA)
        self.first_features_snapshot = self._features("append")[-1]

    def day2(self) -> None:
        """CRM upsert, rename a feature column, full feature overwrite, first training set."""
        run = self.rec.start_run("crm-sync", [], [USERS])
        moved = relocate([self.known_users[i] for i in (2, 5, 11, 17)], day=2)
        changed = moved + self._signup(4, 2)
        self._remember(moved)
        self.users.merge(users_table(changed), "user_id", run)
        self._ingest_events()
        self.features.rename_column("amount_sum", "total_amount")
        self._features("overwrite")
        self._training(create=True)

    def day3(self) -> None:
        """New signups, partition-spec evolution, added decimal feature column."""
        run = self.rec.start_run("crm-sync", [], [USERS])
        self.users.append(users_table(self._signup(4, 3)), run)
        self.events.add_identity_partition("country")
        self._ingest_events()
        self.features.add_column("avg_amount", DecimalType(10, 2), doc="mean purchase amount")
        self.good_features_snapshot = self._features("overwrite")[-1]
        self._training()

    def day4(self) -> None:
        """Rename a Delta column, promote and drop feature columns, a bad incremental append."""
        self.users.rename_column("name", "full_name")
        run = self.rec.start_run("crm-sync", [], [USERS])
        moved = relocate([self.known_users[i] for i in (1, 8, 26)], day=4)
        changed = moved + self._signup(2, 4)
        self._remember(moved)
        self.users.merge(users_table(changed, name_column="full_name"), "user_id", run)
        self._ingest_events()
        self.features.promote_column("event_count", LongType())
        self.features.drop_column("legacy_score")
        self._features("append", only_day=4)
        self._training(schema_merge=True, extra=("avg_amount",))

    def day5(self) -> None:
        """Roll the features back, add a Delta column by hand and one through delta-rs."""
        self._ingest_events()
        self.features.rollback(_known(self.good_features_snapshot))
        self._features("append", only_day=5)
        self.users.add_column_commit("tier", "string")
        run = self.rec.start_run("crm-sync", [], [USERS])
        tiered = assign_tiers(self.known_users.values())
        self._remember(tiered)
        self.users.merge(
            users_table(tiered, name_column="full_name", with_tier=True), "user_id", run
        )
        self.training.add_columns({"weight": "double"})
        self._training(extra=("avg_amount", "weight"))

    def day6(self) -> None:
        """Expire the oldest feature snapshot, recompute features, more signups."""
        self._ingest_events()
        self.features.expire([_known(self.first_features_snapshot)])
        self._features("overwrite")
        run = self.rec.start_run("crm-sync", [], [USERS])
        signups = assign_tiers(self._signup(4, 6))
        self._remember(signups)
        self.users.append(users_table(signups, name_column="full_name", with_tier=True), run)
        self._training(extra=("avg_amount", "weight"))

    # --- jobs -------------------------------------------------------------------------------

    def _signup(self, count: int, day: int) -> list[User]:
        users = new_users(self.next_user_id, count, day)
        self.next_user_id += count
        self._remember(users)
        return users

    def _remember(self, users: Sequence[User]) -> None:
        for u in users:
            self.known_users[u.user_id] = u

    def _ingest_events(self) -> None:
        run = self.rec.start_run("ingest-events", [], [EVENTS])
        users = sorted(self.known_users.values(), key=lambda u: u.user_id)
        batch = events_batch(self.rec.day, users, self.next_event_id, EVENTS_PER_DAY)
        self.next_event_id += EVENTS_PER_DAY
        self.events.append(batch, run)

    def _features(self, mode: str, only_day: int | None = None) -> list[int]:
        events, events_snapshot = self.events.scan()
        if only_day is not None:
            events = events.filter(pc.greater(events["event_id"], (only_day - 1) * EVENTS_PER_DAY))
        run = self.rec.start_run("build-features", [(EVENTS, events_snapshot)], [USER_FEATURES])
        target = self.features.table.schema().as_arrow()
        data = features_table(events, target)
        if mode == "append":
            return self.features.append(data, run)
        return self.features.overwrite(data, run)

    def _training(
        self,
        create: bool = False,
        schema_merge: bool = False,
        extra: Sequence[str] = (),
    ) -> None:
        features, features_snapshot = self.features.scan()
        users, users_version = self.users.read()
        run = self.rec.start_run(
            "build-training-set",
            [(USER_FEATURES, features_snapshot), (USERS, users_version)],
            [TRAINING_SET],
        )
        data = training_table(features, users, self.rec.day, extra)
        if create:
            self.training.create(data, run, description="daily labelled training set")
        elif schema_merge:
            self.training.overwrite(data, run, schema_mode="merge")
        else:
            self.training.overwrite(data, run)
