"""The plan of the synthetic warehouse: tables, jobs, runs and their column lineage.

Everything here is derived from the seed (``make_plan``) or from stateless hashes (``mix``):
the rows (``rows.py``) and the OpenLineage events (``events.py``) are made from it.
"""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SEED = 20_251_124
FULL_TABLES = 10_000
DOMAIN_SIZE = 100
LAYER_WEIGHTS = (20, 16, 14, 12, 10, 8, 7, 5, 4, 4)
LAYERS = len(LAYER_WEIGHTS)
FAN_IN = (1, 2, 3, 4)
FAN_IN_WEIGHTS = (0.35, 0.30, 0.20, 0.15)
RUNS_PER_JOB = 10
COMMITS_PER_RUN = 10
SNAPSHOTS_PER_TABLE = RUNS_PER_JOB * COMMITS_PER_RUN
NEIGHBOURHOOD = 0.12
"""Spread (share of a layer's width) of where a table's inputs are drawn from."""
LINK_MODES = ("key", "version", "inferred")
LINK_WEIGHTS = (0.80, 0.15, 0.05)

MS = 1_000  # in microseconds
SECOND = 1_000 * MS
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2025, 3, 3, tzinfo=UTC)
T0_US = (T0 - EPOCH) // timedelta(microseconds=1)
SLOT = 2 * HOUR
COLUMNS = ("id", "event_date", "customer_id", "amount", "updated_at")
AGGREGATED = ("amount", "updated_at")
DATASET_LEVEL = "*"
"""The output field ingestion gives dataset-level column lineage."""
IDENTITY, AGGREGATION = ("DIRECT", "IDENTITY"), ("DIRECT", "AGGREGATION")
JOIN, FILTER, GROUP_BY = ("INDIRECT", "JOIN"), ("INDIRECT", "FILTER"), ("INDIRECT", "GROUP_BY")
_MASK = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A deterministic 64-bit hash of integers (splitmix64 rounds): ids that need no state."""
    value = 0x9E3779B97F4A7C15
    for part in parts:
        value = ((value ^ part) * 0xBF58476D1CE4E5B9) & _MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
        value ^= value >> 31
    return value


@dataclass(frozen=True)
class TablePlan:
    """One table and the job that writes it (same number: table id == job id)."""

    id: int
    source: str
    domain: int
    layer: int
    identifier: str
    inputs: tuple[int, ...]
    link: str
    change_at: int | None
    sql: bool
    orchestrated: bool

    @property
    def format(self) -> str:
        """``iceberg`` or ``delta``."""
        return "iceberg" if self.source == "lake" else "delta"

    @property
    def location(self) -> str:
        """Where the table lives (what the dataset name resolves to)."""
        return f"s3://warehouse/{self.source}/{self.identifier.replace('.', '/')}"

    @property
    def dataset(self) -> tuple[str, str]:
        """Its OpenLineage (namespace, name): matched to the table by location."""
        return ("s3://warehouse", f"{self.source}/{self.identifier.replace('.', '/')}")

    @property
    def external(self) -> tuple[str, str]:
        """The Kafka topic a layer-0 job reads."""
        return ("kafka://broker-1.internal:9092", f"d{self.domain:03d}.events.t{self.id:05d}")

    @property
    def job(self) -> tuple[str, str]:
        """The (namespace, name) of the job writing the table."""
        namespace = "airflow" if self.orchestrated else "spark"
        return (namespace, f"d{self.domain:03d}.build_{self.identifier.split('.', 1)[1]}")

    def run_inputs(self, run: int) -> tuple[int, ...]:
        """The tables read by run ``run`` (0-based): one fewer before a code change."""
        if self.change_at is not None and run < self.change_at and len(self.inputs) >= 2:
            return self.inputs[:-1]
        return self.inputs

    def version_index(self, run: int) -> int:
        """0 before the code change, 1 from it on."""
        return 1 if self.change_at is not None and run >= self.change_at else 0

    def snapshot_id(self, index: int) -> int:
        """Snapshot ``index`` (0-based): a random 63-bit id (Iceberg), the version (Delta)."""
        if self.source == "dl":
            return index
        return (mix(1, self.id, index) >> 1) or 1


@dataclass(frozen=True)
class RunWindow:
    """When run ``run`` of a job ran and committed."""

    start: int
    end: int
    commits: tuple[int, ...]


@dataclass
class Plan:
    """Every table of the synthetic warehouse (index = id - 1)."""

    scale: float
    seed: int
    tables: list[TablePlan] = field(default_factory=list)

    @property
    def runs(self) -> int:
        """How many runs (10 per job)."""
        return len(self.tables) * RUNS_PER_JOB

    @property
    def snapshots(self) -> int:
        """How many snapshots (100 per table)."""
        return len(self.tables) * SNAPSHOTS_PER_TABLE

    @property
    def span(self) -> tuple[int, int]:
        """First and last instant anything happened (epoch microseconds)."""
        return T0_US, T0_US + RUNS_PER_JOB * DAY

    def table(self, table_id: int) -> TablePlan:
        """The table of that id."""
        return self.tables[table_id - 1]

    def window(self, table: TablePlan, run: int) -> RunWindow:
        """Run ``run`` of the table's job: start, end and its commits, in its layer's slot."""
        jitter = mix(2, table.id, run)
        start = T0_US + run * DAY + table.layer * SLOT + (jitter % (20 * 60)) * SECOND
        duration = (20 + (jitter >> 16) % 70) * MINUTE + ((jitter >> 32) % 60_000) * MS
        step = duration // (COMMITS_PER_RUN + 1)
        commits = tuple(
            start + (i + 1) * step - (start + (i + 1) * step) % MS for i in range(COMMITS_PER_RUN)
        )
        return RunWindow(start, start + duration, commits)

    def run_uuid(self, table: TablePlan, run: int) -> str:
        """The OpenLineage runId of run ``run`` of the table's job."""
        return str(uuid.UUID(int=(mix(3, table.id, run) << 64) | mix(4, table.id, run), version=4))

    def parent_uuid(self, table: TablePlan, run: int) -> str | None:
        """The Airflow DAG run of the table's domain that day (orchestrated jobs only)."""
        if not table.orchestrated:
            return None
        return str(uuid.UUID(int=(mix(5, table.domain, run) << 64) | mix(6, run), version=4))

    def pinned(self, table: TablePlan, run: int, input_id: int) -> bool:
        """Whether the run's COMPLETE event names the snapshot it read of ``input_id``."""
        return mix(7, table.id, run, input_id) & 1 == 1

    def input_snapshot_index(self, run: int) -> int:
        """The input snapshot a run ``run`` reads: the last of the input's run that day."""
        return run * COMMITS_PER_RUN + COMMITS_PER_RUN - 1

    def producing_run(self, table: TablePlan, snapshot_index: int) -> int:
        """Which run made snapshot ``snapshot_index``."""
        return snapshot_index // COMMITS_PER_RUN

    def head_index(self, table: TablePlan, as_of: int) -> int | None:
        """The snapshot (0-based) that is the table's head at ``as_of``, or None."""
        times = [c for run in range(RUNS_PER_JOB) for c in self.window(table, run).commits]
        found = bisect.bisect_right(times, as_of)
        return found - 1 if found else None

    def code_version(self, table: TablePlan, version: int) -> str:
        """A git sha for the job's code."""
        high, low = mix(8, table.id, version), mix(9, table.id, version)
        return f"{high:016x}{low:016x}{mix(high, low) >> 32:08x}"

    def sql_text(self, table: TablePlan, run: int) -> str | None:
        """The job's SQL (SQL jobs only), as of run ``run``."""
        if not table.sql:
            return None
        sources = [self.table(i).identifier for i in table.run_inputs(run)] or [table.external[1]]
        joins = " ".join(
            f"LEFT JOIN {name} t{n} ON t0.id = t{n}.id" for n, name in enumerate(sources[1:], 1)
        )
        return (
            f"INSERT INTO {table.identifier} SELECT t0.id, t0.event_date, t0.customer_id, "
            f"sum(t0.amount) AS amount, max(t0.updated_at) AS updated_at FROM {sources[0]} t0 "
            f"{joins} WHERE t0.event_date = '{{{{ ds }}}}' GROUP BY 1, 2, 3".replace("  ", " ")
        )

    def column_mapping(self, table: TablePlan, run: int) -> list[ColumnLineage]:
        """The ``columnLineage`` facet of run ``run``'s output, in facet order (``*`` last).

        What the job does: an SQL job what its query says (``sql_text``: every output field
        from the first input, copied or aggregated); any other job (DataFrame code) takes
        ``customer_id`` from its second input (a lookup) and ``amount`` from its last, the
        rest from the first. The other inputs are joined on ``id``; rows are filtered on
        ``event_date`` and grouped by the three keys. Dataset-wide (INDIRECT) dependencies
        are listed once, at dataset level, as openlineage-spark does with
        ``columnLineage.datasetLineageEnabled``.
        """
        inputs: list[tuple[str, str, int | None]] = [
            (*self.table(i).dataset, i) for i in table.run_inputs(run)
        ]
        inputs = inputs or [(*table.external, None)]

        def source(
            dataset: tuple[str, str, int | None], name: str, *kinds: tuple[str, str]
        ) -> ColumnSource:
            return ColumnSource(dataset[0], dataset[1], name, dataset[2], kinds)

        first = inputs[0]
        read_from = dict.fromkeys(COLUMNS, first)
        if not table.sql:
            read_from["customer_id"] = inputs[1 % len(inputs)]
            read_from["amount"] = inputs[-1]
        mapping = [
            ColumnLineage(
                name,
                (source(read_from[name], name, AGGREGATION if name in AGGREGATED else IDENTITY),),
            )
            for name in COLUMNS
        ]
        joined = (JOIN,) if len(inputs) > 1 else ()
        dataset_level = (
            source(first, "id", *joined, GROUP_BY),
            source(first, "event_date", FILTER, GROUP_BY),
            source(read_from["customer_id"], "customer_id", GROUP_BY),
            *(source(other, "id", JOIN) for other in inputs[1:]),
        )
        mapping.append(ColumnLineage(DATASET_LEVEL, dataset_level))
        return mapping


@dataclass(frozen=True)
class ColumnSource:
    """One input field of an output field, with its transformations ((type, subtype), ...)."""

    namespace: str
    name: str
    field: str
    table_id: int | None
    transformations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ColumnLineage:
    """One entry of a ``columnLineage`` facet: an output field (``*``: the dataset)."""

    field: str
    inputs: tuple[ColumnSource, ...]


def _layer_sizes(size: int) -> list[int]:
    total = sum(LAYER_WEIGHTS)
    sizes = [max(1, size * w // total) for w in LAYER_WEIGHTS]
    layer = 0
    while sum(sizes) < size:
        sizes[layer % LAYERS] += 1
        layer += 1
    while sum(sizes) > size:
        biggest = max(range(LAYERS), key=lambda i: sizes[i])
        sizes[biggest] -= 1
    return sizes


def _near(rng: random.Random, layer: Sequence[int], where: float) -> int:
    """A table of ``layer`` near relative place ``where``: pipelines are cones, not meshes."""
    place = rng.gauss(where, NEIGHBOURHOOD) % 1.0
    return layer[min(len(layer) - 1, int(place * len(layer)))]


def table_count(scale: float) -> int:
    """How many tables a scale gives (at least one domain's worth of layers)."""
    return max(LAYERS * 2, round(FULL_TABLES * scale))


def make_plan(scale: float = 1.0, seed: int = SEED) -> Plan:
    """The deterministic plan of the synthetic warehouse at ``scale``."""
    rng = random.Random(seed)
    count = table_count(scale)
    domains = max(1, round(count / DOMAIN_SIZE))
    per_domain = [count // domains + (1 if d < count % domains else 0) for d in range(domains)]
    # First the tables' places (domain, layer), then their inputs (which need the places).
    places: list[tuple[int, int]] = []
    by_layer: dict[tuple[int, int], list[int]] = {}
    for domain, size in enumerate(per_domain):
        for layer, n in enumerate(_layer_sizes(size)):
            for _ in range(n):
                places.append((domain, layer))
                by_layer.setdefault((domain, layer), []).append(len(places))
    shared = [i for i, (_, layer) in enumerate(places, 1) if layer <= 1 and rng.random() < 0.1]
    rng.shuffle(shared)
    shared_weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(shared))))
    plan = Plan(scale, seed)
    numbers: dict[tuple[int, int], int] = {}
    for table_id, (domain, layer) in enumerate(places, 1):
        inputs: list[int] = []
        if layer > 0:
            wanted = rng.choices(FAN_IN, FAN_IN_WEIGHTS)[0]
            mine = by_layer[(domain, layer)]
            where = (mine.index(table_id) + 0.5) / len(mine)  # relative place in its layer
            inputs.append(_near(rng, by_layer[(domain, layer - 1)], where))
            tries = 0
            while len(inputs) < wanted and tries < 20:
                tries += 1
                draw = rng.random()
                if draw < 0.60:
                    pick = _near(rng, by_layer[(domain, layer - 1)], where)
                elif draw < 0.85 or not shared:
                    pick = _near(rng, by_layer[(domain, rng.randrange(layer))], where)
                else:
                    pick = rng.choices(shared, cum_weights=shared_weights)[0]
                    if places[pick - 1][1] >= layer:
                        continue
                if pick not in inputs:
                    inputs.append(pick)
        number = numbers.get((domain, layer), 0)
        numbers[(domain, layer)] = number + 1
        source = "lake" if rng.random() < 0.7 else "dl"
        kind = ("raw", "stg", "int", "int", "int", "fct", "fct", "agg", "mart", "mart")[layer]
        plan.tables.append(
            TablePlan(
                id=table_id,
                source=source,
                domain=domain,
                layer=layer,
                identifier=f"d{domain:03d}.l{layer}_{kind}_{number:03d}",
                inputs=tuple(inputs),
                link=rng.choices(LINK_MODES, LINK_WEIGHTS)[0],
                change_at=rng.randrange(3, 9) if rng.random() < 0.2 else None,
                sql=rng.random() < 0.4,
                orchestrated=rng.random() < 0.5,
            )
        )
    return plan
