"""Deterministic synthetic data for the story (events, users, features, training, customers)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

SEED = 20260105
FIRST_DAY = datetime(2026, 1, 5, tzinfo=UTC)
COUNTRIES = ("US", "DE", "FR", "BR", "JP", "IN")
CITIES = {
    "US": ("Austin", "Boston"),
    "DE": ("Berlin", "Hamburg"),
    "FR": ("Lyon", "Paris"),
    "BR": ("Recife", "Santos"),
    "JP": ("Osaka", "Tokyo"),
    "IN": ("Chennai", "Pune"),
}
FIRST_NAMES = ("Ada", "Bruno", "Chen", "Dara", "Emil", "Fatima", "Goro", "Hana", "Ines", "Jonas")
LAST_NAMES = ("Ito", "Keller", "Lopez", "Moreau", "Nair", "Okafor", "Perez")
EVENT_TYPES = ("view", "click", "add_to_cart", "purchase")
TIERS = ("bronze", "silver", "gold")

EVENT_ARROW_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.int64(), nullable=False),
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("amount", pa.float64()),
        pa.field("country", pa.string()),
    ]
)
ADDRESS_TYPE = pa.struct([pa.field("city", pa.string()), pa.field("zip", pa.string())])


def day_start(day: int) -> datetime:
    """Return midnight UTC of a simulated day (day 1 is FIRST_DAY)."""
    return FIRST_DAY + timedelta(days=day - 1)


def user_name(user_id: int) -> str:
    """Return the (never changing) display name of a user."""
    first = FIRST_NAMES[user_id % len(FIRST_NAMES)]
    last = LAST_NAMES[(user_id * 3) % len(LAST_NAMES)]
    return f"{first} {last} #{user_id}"


@dataclass(frozen=True)
class User:
    """One row of the users table."""

    user_id: int
    country: str
    city: str
    zip: str
    signup_ts: datetime
    tier: str | None = None

    @property
    def name(self) -> str:
        """Return the user's display name."""
        return user_name(self.user_id)


def new_users(first_id: int, count: int, day: int) -> list[User]:
    """Create users that sign up on a given day."""
    rng = random.Random(SEED * 31 + first_id)
    users = []
    for user_id in range(first_id, first_id + count):
        country = COUNTRIES[user_id % len(COUNTRIES)]
        users.append(
            User(
                user_id=user_id,
                country=country,
                city=CITIES[country][user_id % 2],
                zip=f"{rng.randrange(10000, 99999)}",
                signup_ts=day_start(day) + timedelta(minutes=rng.randrange(0, 24 * 60)),
            )
        )
    return users


def relocate(users: Iterable[User], day: int) -> list[User]:
    """Move users to another country/city (a CRM update)."""
    moved = []
    for u in users:
        country = COUNTRIES[(COUNTRIES.index(u.country) + day) % len(COUNTRIES)]
        moved.append(
            replace(u, country=country, city=CITIES[country][day % 2], zip=f"{day}{u.zip[1:]}")
        )
    return moved


def assign_tiers(users: Iterable[User]) -> list[User]:
    """Give every user a loyalty tier."""
    return [replace(u, tier=TIERS[u.user_id % len(TIERS)]) for u in users]


def users_table(
    users: Sequence[User], name_column: str = "name", with_tier: bool = False
) -> pa.Table:
    """Build the users Arrow table (column names as they are at that point of the story)."""
    ordered = sorted(users, key=lambda u: u.user_id)
    columns: dict[str, pa.Array] = {
        "user_id": pa.array([u.user_id for u in ordered], pa.int64()),
        name_column: pa.array([u.name for u in ordered], pa.string()),
        "country": pa.array([u.country for u in ordered], pa.string()),
        "signup_ts": pa.array([u.signup_ts for u in ordered], pa.timestamp("us", tz="UTC")),
        "address": pa.array([{"city": u.city, "zip": u.zip} for u in ordered], ADDRESS_TYPE),
    }
    if with_tier:
        columns["tier"] = pa.array([u.tier for u in ordered], pa.string())
    return pa.table(columns)


def events_batch(day: int, users: Sequence[User], first_event_id: int, count: int) -> pa.Table:
    """Generate one day of click-stream events for existing users."""
    rng = random.Random(SEED + day)
    start = day_start(day)
    rows: dict[str, list[object]] = {name: [] for name in EVENT_ARROW_SCHEMA.names}
    for i in range(count):
        user = users[rng.randrange(len(users))]
        event_type = rng.choices(EVENT_TYPES, weights=(6, 3, 2, 1))[0]
        rows["event_id"].append(first_event_id + i)
        rows["user_id"].append(user.user_id)
        rows["ts"].append(start + timedelta(seconds=rng.randrange(0, 86400)))
        rows["event_type"].append(event_type)
        rows["amount"].append(round(rng.uniform(5, 250), 2) if event_type == "purchase" else None)
        rows["country"].append(user.country)
    return pa.table(rows, schema=EVENT_ARROW_SCHEMA)


def features_table(events: pa.Table, target: pa.Schema) -> pa.Table:
    """Aggregate events per user into the feature columns that the target schema has."""
    grouped = (
        events.group_by("user_id")
        .aggregate(
            [
                ("amount", "sum"),
                ("amount", "mean"),
                ("event_id", "count"),
                ("ts", "min"),
                ("ts", "max"),
            ]
        )
        .sort_by("user_id")
    )
    total = pc.fill_null(grouped["amount_sum"], 0.0)
    count = grouped["event_id_count"]
    candidates: dict[str, pa.Array | pa.ChunkedArray] = {
        "user_id": grouped["user_id"],
        "amount_sum": total,
        "total_amount": total,
        "event_count": count,
        "legacy_score": pc.divide(total, pc.cast(count, pa.float64())),
        "avg_amount": pa.array(
            [
                None if m is None else Decimal(f"{m:.2f}")
                for m in grouped["amount_mean"].to_pylist()
            ],
            pa.decimal128(10, 2),
        ),
        "stats": pa.StructArray.from_arrays(
            [grouped["ts_min"].combine_chunks(), grouped["ts_max"].combine_chunks()],
            names=["first_ts", "last_ts"],
        ),
    }
    columns = {}
    for f in target:
        if f.name not in candidates:
            raise KeyError(f"no feature computation for column {f.name!r}")
        columns[f.name] = candidates[f.name]
    return pa.table(columns).cast(target)


def training_table(
    features: pa.Table,
    users: pa.Table,
    day: int,
    *,
    amount: str = "total_amount",
    legacy_score_above: float | None = None,
    amount_above: float = 150.0,
    extra_columns: Sequence[str] = (),
) -> pa.Table:
    """Join features with users into the labelled training set of a day.

    AMOUNT names the features' amount column (``amount_sum`` before the rename); the label
    is amount > AMOUNT_ABOVE, or legacy_score > LEGACY_SCORE_ABOVE when that is given.
    """
    wanted = ["user_id", amount, "event_count"]
    if legacy_score_above is not None:
        wanted.append("legacy_score")
    if "avg_amount" in extra_columns:
        wanted.append("avg_amount")
    joined = features.select(wanted).join(
        users.select(["user_id", "country"]), "user_id", join_type="inner"
    )
    joined = joined.sort_by("user_id")
    total = joined[amount]
    label = pc.greater(total, amount_above)
    if legacy_score_above is not None:
        label = pc.or_(label, pc.greater(joined["legacy_score"], legacy_score_above))
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "user_id": joined["user_id"],
        "country": joined["country"],
        "total_amount": total,
        "event_count": pc.cast(joined["event_count"], pa.int64()),
        "label": pc.cast(label, pa.int32()),
        "as_of": pa.array([day_start(day)] * joined.num_rows, pa.timestamp("us", tz="UTC")),
    }
    if "avg_amount" in extra_columns:
        columns["avg_amount"] = pc.cast(joined["avg_amount"], pa.float64())
    if "weight" in extra_columns:
        columns["weight"] = pc.add(
            pc.divide(pc.cast(joined["event_count"], pa.float64()), 10.0), 1.0
        )
    return pa.table(columns)


def latest_countries(events: pa.Table) -> pa.Table:
    """Each user's country as of their latest event (build-training-set v2's country source)."""
    ordered = events.select(["event_id", "user_id", "country"]).sort_by("event_id")
    latest = ordered.group_by("user_id", use_threads=False).aggregate([("country", "last")])
    table = pa.table({"user_id": latest["user_id"], "country": latest["country_last"]})
    return table.sort_by("user_id")


CUSTOMER_COUNT = 50
CUSTOMER_ARROW_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("country", pa.string()),
        pa.field("signup_date", pa.date32()),
    ]
)


def customer_email(customer_id: int) -> str:
    """Return the (made-up, never changing) e-mail address of a CRM customer."""
    first, last, _ = user_name(customer_id).lower().split(" ")
    return f"{first}.{last}.{customer_id}@example.com"


def customers_table(count: int = CUSTOMER_COUNT) -> pa.Table:
    """Build the CRM customers export: ids 1..COUNT with e-mail, phone, country, signup date."""
    ids = range(1, count + 1)
    return pa.table(
        {
            "customer_id": list(ids),
            "email": [customer_email(i) for i in ids],
            "phone": [f"+1-555-01{i:02d}" for i in ids],
            "country": [COUNTRIES[i % len(COUNTRIES)] for i in ids],
            "signup_date": [date(2025, 1, 1) + timedelta(days=7 * i) for i in ids],
        },
        schema=CUSTOMER_ARROW_SCHEMA,
    )
