"""A synthetic store at warehouse scale, written straight into the store's tables.

Shape at ``scale=1`` (every count but the per-table ones scales with ``--scale``):

* 10,000 tables (70 % Iceberg in source ``lake``, 30 % Delta in source ``dl``) in domains of
  100 tables, each domain in 10 layers (wider at the bottom). Each table is written by one
  job of its own; a job of layer L reads 1-4 tables (35/30/20/15 %) of earlier layers: the
  first always from layer L-1 of its domain, the others from layer L-1 (60 %), any earlier
  layer of the domain (25 %) or a shared "conformed" table of layers 0-1 of any domain
  (15 %, Zipf-weighted, so a few shared tables have a fan-out in the hundreds). Inputs in
  the domain are drawn near the table's own place in its layer (Gaussian, sigma 12 % of
  the layer's width): a domain is overlapping cones of pipelines, not a mesh. Layer-0 jobs
  read an external Kafka topic (a dataset no table matches);
* 10 runs per job (100,000 runs), one per daily cycle: layer L runs in the slot
  L x 2 h .. L x 2 h + 110 min of its day, so every input's run of the same day has
  committed before the run starts. START and COMPLETE events (``events`` with the raw
  OpenLineage JSON, ``run_states``) and ``run_datasets`` rows for the inputs and the output
  on both events (as real integrations send them);
* 10 commits per run inside its window: 100 snapshots per table (1,000,000), each one a
  head from its commit time on (``heads``);
* how a snapshot names its run (per table): 80 % of tables carry the run id in every commit
  (``snapshot_keys``, as a sync stores ``lineage.run-id``), 15 % carry nothing but the run's
  COMPLETE output has a version facet naming the run's last snapshot (the other nine are
  found by the run window), 5 % carry nothing at all (inferred from the run windows);
* about half of the COMPLETE inputs carry a version facet naming the input snapshot read
  (the last one committed before the run started); the others are resolved as the input's
  head at run start;
* one job version per job (``sourceCodeLocation``, 40 % with an ``sql`` facet); 20 % of the
  jobs change their code at a run between the 3rd and the 8th, and when such a job has two
  or more inputs its runs before the change read one input fewer (an edge that appears in
  time);
* column lineage: every table has one schema of five fields (``COLUMNS``; Iceberg field
  ids 1-5, Delta without ids) from its first commit on, and every COMPLETE output carries a
  ``columnLineage`` facet as openlineage-spark sends it with dataset-level lineage on (what
  the job does, ``Plan.column_mapping``): each output field DIRECT (IDENTITY, or
  AGGREGATION for ``amount`` / ``updated_at``) from the same field of an input: the first
  one for SQL jobs (as their query says), for the others ``customer_id`` from the second
  input and ``amount`` from the last (so column chains also run through joined and shared
  tables); the job's dataset-wide INDIRECT dependencies (JOIN on ``id`` of every input when
  there are two or more, FILTER and GROUP_BY on the keys) under ``dataset``, which
  ingestion stores as output field ``*`` (``impact`` reports it, and goes no further).
  ``column_edges`` holds the rows ingestion makes of them (``EventWriter._column_rows``:
  one per output field, input field and transformation, origin ``facet``, both ends
  matched to their tables; a layer-0 job's input is its Kafka topic, no table): 9 + inputs
  rows per run with two or more inputs, 9 with one, 1,034,222 at scale 1. Left out:
  ingestion would also parse the ``sql`` facet of the 40 % SQL jobs (origin ``sql``, about
  1.25 million more rows: the parser attaches each INDIRECT dependency to every output
  field); the store keeps to the facet.

Times are epoch microseconds rounded to the millisecond (what an OpenLineage ``eventTime``
carries), ``recorded_at`` a little after each fact (events 2 s after their time, snapshots
10 min after their commit, as a polling sync would see them).

The schema is created by the product's own migration (``open_store``); rows are then written
with the driver: ``executemany`` on SQLite (the file is cached in ``bench/.cache/``, keyed by
``VERSION``, the scale, the seed and the migration head), ``COPY ... FROM STDIN`` through
psycopg on PostgreSQL (a fresh database per run), followed by ``VACUUM ANALYZE`` as
autovacuum would have done on a store of that age (SQLite gets no ``ANALYZE``: the product
never runs one).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import measure

VERSION = "v2"
"""Bump when the way the store is generated changes (invalidates the cached SQLite file)."""
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
RUN_ID_KEY = "lineage.run-id"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_URL = "https://openlineage.io/spec/facets/1-0-1/{}.json#/$defs/{}"
COLUMNS = ("id", "event_date", "customer_id", "amount", "updated_at")
AGGREGATED = ("amount", "updated_at")
DATASET_LEVEL = "*"
"""The output field ingestion gives dataset-level column lineage."""
IDENTITY, AGGREGATION = ("DIRECT", "IDENTITY"), ("DIRECT", "AGGREGATION")
JOIN, FILTER, GROUP_BY = ("INDIRECT", "JOIN"), ("INDIRECT", "FILTER"), ("INDIRECT", "GROUP_BY")
COLUMN_LINEAGE_URL = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
    "#/$defs/ColumnLineageDatasetFacet"
)
_MASK = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A deterministic 64-bit hash of integers (splitmix64 rounds): ids that need no state."""
    value = 0x9E3779B97F4A7C15
    for part in parts:
        value = ((value ^ part) * 0xBF58476D1CE4E5B9) & _MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
        value ^= value >> 31
    return value


def iso(us: int) -> str:
    """An OpenLineage ``eventTime`` (millisecond precision, ``Z``)."""
    return (EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- the plan: tables, jobs and runs, all derived from the seed ---------------------------


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
        inputs = [(*self.table(i).dataset, i) for i in table.run_inputs(run)]
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


def column_facet(mapping: Sequence[ColumnLineage]) -> dict[str, Any]:
    """The ``columnLineage`` facet of a mapping (``fields``, and ``dataset`` for ``*``)."""

    def entries(inputs: Sequence[ColumnSource]) -> list[dict[str, Any]]:
        return [
            {
                "namespace": s.namespace,
                "name": s.name,
                "field": s.field,
                "transformations": [
                    {"type": kind, "subtype": subtype, "masking": False}
                    for kind, subtype in s.transformations
                ],
            }
            for s in inputs
        ]

    fields = {
        m.field: {"inputFields": entries(m.inputs)} for m in mapping if m.field != DATASET_LEVEL
    }
    dataset_level = [s for m in mapping if m.field == DATASET_LEVEL for s in m.inputs]
    body: dict[str, Any] = {"fields": fields}
    if dataset_level:
        body["dataset"] = entries(dataset_level)
    return {"_producer": PRODUCER, "_schemaURL": COLUMN_LINEAGE_URL, **body}


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


# -- OpenLineage events (shared with ingestion.py) ----------------------------------------


def _facet(name: str, **body: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACET_URL.format(name, name), **body}


def dataset(
    namespace: str,
    name: str,
    *,
    version: str | None = None,
    schema: bool = False,
    side: str = "input",
    column_lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One OpenLineage input or output, with a version facet (a schema, column lineage) when
    asked."""
    facets: dict[str, Any] = {}
    if schema:
        facets["schema"] = _facet(
            "SchemaDatasetFacet",
            fields=[
                {"name": c, "type": "long" if c in ("id", "customer_id") else "string"}
                for c in COLUMNS
            ],
        )
    if column_lineage is not None:
        facets["columnLineage"] = column_lineage
    if version is not None:
        facets["version"] = _facet("DatasetVersionDatasetFacet", datasetVersion=version)
    item: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    if side == "output":
        item["outputFacets"] = {
            "outputStatistics": _facet(
                "OutputStatisticsOutputDatasetFacet", rowCount=1000, size=65_536
            )
        }
    return item


def run_event(
    event_type: str,
    run_id: str,
    at: int,
    job: tuple[str, str],
    inputs: Sequence[dict[str, Any]],
    outputs: Sequence[dict[str, Any]],
    *,
    code_version: str,
    code_path: str,
    sql: str | None = None,
    parent: tuple[str, str, str] | None = None,
    spark_app_id: str | None = None,
) -> dict[str, Any]:
    """A RunEvent as openlineage-spark / Airflow send it (job facets on every event)."""
    run_facets: dict[str, Any] = {}
    if parent is not None:
        parent_run, parent_namespace, parent_name = parent
        run_facets["parent"] = _facet(
            "ParentRunFacet",
            run={"runId": parent_run},
            job={"namespace": parent_namespace, "name": parent_name},
        )
    if spark_app_id is not None:
        run_facets["spark_applicationDetails"] = _facet(
            "SparkApplicationDetailsFacet", applicationId=spark_app_id, master="yarn"
        )
    job_facets: dict[str, Any] = {
        "sourceCodeLocation": _facet(
            "SourceCodeLocationJobFacet",
            type="git",
            url="https://git.example.com/data/pipelines",
            repoUrl="https://git.example.com/data/pipelines.git",
            path=code_path,
            version=code_version,
            branch="main",
        ),
        "jobType": _facet(
            "JobTypeJobFacet", processingType="BATCH", integration="SPARK", jobType="JOB"
        ),
    }
    if sql is not None:
        job_facets["sql"] = _facet("SQLJobFacet", query=sql, dialect="spark")
    return {
        "eventType": event_type,
        "eventTime": iso(at),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": job[0], "name": job[1], "facets": job_facets},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The rows of one store table, in the order written (ids are given explicitly)."""

    table: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[tuple[Any, ...]]]
    json_columns: tuple[str, ...] = ()


def _dumps(value: Any) -> str:
    from temporal_lineage import jsontext

    return jsontext.dumps(value)


def _fingerprint(*parts: int) -> str:
    return hashlib.sha256(b"%d" % mix(*parts)).hexdigest()


class RowMaker:
    """Every row of the synthetic store, per table, with times converted by ``when``."""

    def __init__(self, plan: Plan, when: Callable[[int], Any]) -> None:
        self.plan = plan
        self.when = when
        self.synced_at = T0_US - DAY  # the tables were first synced the day before

    # tables and their snapshots ------------------------------------------------------

    def sources(self) -> Iterator[tuple[Any, ...]]:
        yield (1, "lake", "iceberg", self.when(self.synced_at))
        yield (2, "dl", "delta", self.when(self.synced_at))

    def tables(self) -> Iterator[tuple[Any, ...]]:
        for t in self.plan.tables:
            cursor = (
                f"{t.location}/metadata/00100-{mix(10, t.id):016x}.metadata.json"
                if t.source == "lake"
                else str(SNAPSHOTS_PER_TABLE - 1)
            )
            yield (
                t.id,
                1 if t.source == "lake" else 2,
                t.identifier,
                t.format,
                t.location,
                cursor,
                t.id,
                None,
                self.when(self.synced_at),
            )

    def incarnations(self) -> Iterator[tuple[Any, ...]]:
        for t in self.plan.tables:
            uid = str(uuid.UUID(int=(mix(11, t.id) << 64) | mix(12, t.id), version=4))
            yield (
                t.id,
                t.id,
                uid,
                t.location,
                2 if t.source == "lake" else None,
                self.when(self.synced_at),
            )

    def _summary(self, t: TablePlan, index: int, run_id: str | None, at: int) -> str:
        records = 10_000 + mix(13, t.id, index) % 90_000
        if t.source == "lake":
            summary: dict[str, Any] = {
                "operation": "append",
                "added-data-files": str(1 + records // 20_000),
                "added-records": str(records),
                "added-files-size": str(records * 41),
                "changed-partition-count": "1",
                "total-records": str(records * (index + 1)),
                "total-files-size": str(records * 41 * (index + 1)),
                "total-data-files": str((1 + records // 20_000) * (index + 1)),
                "total-delete-files": "0",
                "total-position-deletes": "0",
                "total-equality-deletes": "0",
            }
        else:
            summary = {
                "timestamp": at // MS,
                "operation": "WRITE",
                "operationParameters": {"mode": "Append", "partitionBy": '["event_date"]'},
                "isolationLevel": "Serializable",
                "isBlindAppend": True,
                "operationMetrics": {
                    "numFiles": str(1 + records // 20_000),
                    "numOutputRows": str(records),
                    "numOutputBytes": str(records * 41),
                },
                "engineInfo": "Apache-Spark/3.5.1 Delta-Lake/3.2.0",
                "txnId": str(uuid.UUID(int=mix(14, t.id, index) << 64, version=4)),
            }
        if run_id is not None:
            summary[RUN_ID_KEY] = run_id
        return _dumps(summary)

    def _snapshots_of(self, t: TablePlan) -> Iterator[tuple[int, int, int, str]]:
        """(index, snapshot id, commit time, run uuid) of each snapshot of the table."""
        for run in range(RUNS_PER_JOB):
            run_id = self.plan.run_uuid(t, run)
            for i, at in enumerate(self.plan.window(t, run).commits):
                index = run * COMMITS_PER_RUN + i
                yield index, t.snapshot_id(index), at, run_id

    def snapshots(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        when = self.when
        for t in self.plan.tables:
            previous = None
            for index, snapshot_id, at, run_id in self._snapshots_of(t):
                pk += 1
                keyed = run_id if t.link == "key" else None
                yield (
                    pk,
                    t.id,
                    snapshot_id,
                    previous,
                    index + 1 if t.source == "lake" else index,
                    when(at),
                    "append" if t.source == "lake" else "WRITE",
                    0 if t.source == "lake" else None,
                    self._summary(t, index, keyed, at),
                    None,
                    when(at + 10 * MINUTE),
                )
                previous = snapshot_id

    def heads(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        when = self.when
        for t in self.plan.tables:
            for _index, snapshot_id, at, _run in self._snapshots_of(t):
                pk += 1
                yield (pk, t.id, t.id, snapshot_id, when(at), when(at + 10 * MINUTE))

    def snapshot_keys(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        when = self.when
        for t in self.plan.tables:
            if t.link != "key":
                continue
            for _index, snapshot_id, at, run_id in self._snapshots_of(t):
                pk += 1
                yield (pk, t.id, snapshot_id, "run_id", run_id, when(at + 10 * MINUTE))

    def schema_versions(self) -> Iterator[tuple[Any, ...]]:
        for t in self.plan.tables:
            yield (t.id, t.id, 0, _fingerprint(15, t.id), self.when(self.synced_at))

    def schema_fields(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        for t in self.plan.tables:
            for position, name in enumerate(COLUMNS):
                pk += 1
                yield (
                    pk,
                    t.id,
                    position,
                    position + 1 if t.source == "lake" else None,
                    _dumps([name]),
                    "long" if name in ("id", "customer_id") else "string",
                    name != "id",
                    None,
                    None,
                    self.when(self.synced_at),
                )

    def schema_heads(self) -> Iterator[tuple[Any, ...]]:
        for t in self.plan.tables:
            first = self.plan.window(t, 0).commits[0]
            yield (
                t.id,
                t.id,
                t.id,
                t.id,
                self.when(first),
                "metadata_log" if t.source == "lake" else "commit",
                t.snapshot_id(0),
                self.when(first + 10 * MINUTE),
            )

    # jobs, runs and events ----------------------------------------------------------

    def jobs(self) -> Iterator[tuple[Any, ...]]:
        for t in self.plan.tables:
            namespace, name = t.job
            first = self.plan.window(t, 0).start
            yield (t.id, namespace, name, self.when(first + 2 * SECOND))

    def _version_ids(self) -> dict[tuple[int, int], int]:
        ids: dict[tuple[int, int], int] = {}
        for t in self.plan.tables:
            for version in range(2 if t.change_at is not None else 1):
                ids[(t.id, version)] = len(ids) + 1
        return ids

    def job_versions(self) -> Iterator[tuple[Any, ...]]:
        ids = self._version_ids()
        for (table_id, version), pk in ids.items():
            t = self.plan.table(table_id)
            first_run = 0 if version == 0 else t.change_at or 0
            code = self.plan.code_version(t, version)
            yield (
                pk,
                t.id,
                _fingerprint(16, t.id, version),
                code,
                f"https://git.example.com/data/pipelines/jobs/{t.job[1]}.py",
                self.plan.sql_text(t, first_run),
                "spark" if t.sql else None,
                "{}",
                self.when(self.plan.window(t, first_run).start + 2 * SECOND),
            )

    def runs(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        for t in self.plan.tables:
            for run in range(RUNS_PER_JOB):
                pk += 1
                start = self.plan.window(t, run).start
                yield (
                    pk,
                    self.plan.run_uuid(t, run),
                    t.id,
                    self.plan.parent_uuid(t, run),
                    self.when(start + 2 * SECOND),
                )

    def _event_pk(self, t: TablePlan, run: int, complete: bool) -> int:
        return ((t.id - 1) * RUNS_PER_JOB + run) * 2 + (2 if complete else 1)

    def _datasets(
        self, t: TablePlan, run: int, complete: bool
    ) -> tuple[list[tuple[str, str, str | None, int | None]], tuple[str, str, str | None]]:
        """Inputs (namespace, name, version, table id) and the output (namespace, name, version)."""
        inputs: list[tuple[str, str, str | None, int | None]] = []
        read = self.plan.input_snapshot_index(run)
        for input_id in t.run_inputs(run):
            source = self.plan.table(input_id)
            version = None
            if complete and self.plan.pinned(t, run, input_id):
                version = str(source.snapshot_id(read))
            inputs.append((*source.dataset, version, input_id))
        if not inputs:
            inputs.append((*t.external, None, None))
        out_version = None
        if complete and t.link == "version":
            out_version = str(t.snapshot_id(run * COMMITS_PER_RUN + COMMITS_PER_RUN - 1))
        return inputs, (*t.dataset, out_version)

    def raw_event(self, t: TablePlan, run: int, complete: bool) -> dict[str, Any]:
        """The OpenLineage event the store's rows of that run and state were made from."""
        window = self.plan.window(t, run)
        inputs, (out_ns, out_name, out_version) = self._datasets(t, run, complete)
        parent = self.plan.parent_uuid(t, run)
        lineage = column_facet(self.plan.column_mapping(t, run)) if complete else None
        output = dataset(
            out_ns,
            out_name,
            version=out_version,
            schema=True,
            side="output",
            column_lineage=lineage,
        )
        return run_event(
            "COMPLETE" if complete else "START",
            self.plan.run_uuid(t, run),
            window.end if complete else window.start,
            t.job,
            [dataset(ns, name, version=v) for ns, name, v, _ in inputs],
            [output],
            code_version=self.plan.code_version(t, t.version_index(run)),
            code_path=f"jobs/{t.job[1]}.py",
            sql=self.plan.sql_text(t, run),
            parent=(parent, "airflow", f"d{t.domain:03d}_daily") if parent else None,
        )

    def events(self) -> Iterator[tuple[Any, ...]]:
        when = self.when
        for t in self.plan.tables:
            namespace, name = t.job
            for run in range(RUNS_PER_JOB):
                window = self.plan.window(t, run)
                run_id = self.plan.run_uuid(t, run)
                for complete in (False, True):
                    at = window.end if complete else window.start
                    raw = self.raw_event(t, run, complete)
                    yield (
                        self._event_pk(t, run, complete),
                        _fingerprint(17, t.id, run, int(complete)),
                        "run",
                        "COMPLETE" if complete else "START",
                        when(at),
                        run_id,
                        namespace,
                        name,
                        _dumps(raw),
                        when(at + 2 * SECOND),
                    )

    def run_states(self) -> Iterator[tuple[Any, ...]]:
        ids = self._version_ids()
        when = self.when
        for t in self.plan.tables:
            for run in range(RUNS_PER_JOB):
                window = self.plan.window(t, run)
                run_id = self.plan.run_uuid(t, run)
                version = ids[(t.id, t.version_index(run))]
                for complete in (False, True):
                    at = window.end if complete else window.start
                    pk = self._event_pk(t, run, complete)
                    yield (
                        pk,
                        run_id,
                        "COMPLETE" if complete else "START",
                        when(at),
                        version,
                        pk,
                        when(at + 2 * SECOND),
                    )

    def run_datasets(self) -> Iterator[tuple[Any, ...]]:
        pk = 0
        when = self.when
        schema = _dumps({"schema": list(COLUMNS)})
        # What ingestion keeps of the COMPLETE output's facets (``_kept_facets``).
        schema_and_lineage = _dumps({"schema": list(COLUMNS), "column_lineage": True})
        for t in self.plan.tables:
            for run in range(RUNS_PER_JOB):
                window = self.plan.window(t, run)
                run_id = self.plan.run_uuid(t, run)
                for complete in (False, True):
                    at = window.end if complete else window.start
                    recorded = when(at + 2 * SECOND)
                    event_pk = self._event_pk(t, run, complete)
                    inputs, (out_ns, out_name, out_version) = self._datasets(t, run, complete)
                    for ns, name, version, table_id in inputs:
                        pk += 1
                        yield (
                            pk,
                            run_id,
                            event_pk,
                            "input",
                            ns,
                            name,
                            version,
                            None,
                            "[]",
                            "{}",
                            table_id,
                            recorded if table_id else None,
                            "location" if table_id else None,
                            recorded,
                        )
                    pk += 1
                    yield (
                        pk,
                        run_id,
                        event_pk,
                        "output",
                        out_ns,
                        out_name,
                        out_version,
                        None,
                        "[]",
                        schema_and_lineage if complete else schema,
                        t.id,
                        recorded,
                        "location",
                        recorded,
                    )

    def column_edges(self) -> Iterator[tuple[Any, ...]]:
        """The rows ingestion makes of each COMPLETE output's ``columnLineage`` facet.

        As ``EventWriter._column_rows`` does: per output field (``*`` last, the dataset-level
        entries), per input field, per transformation; both ends matched by location (a
        Kafka topic matches no table), ``matched_at`` and ``recorded_at`` the event's.
        """
        pk = 0
        when = self.when
        for t in self.plan.tables:
            out_ns, out_name = t.dataset
            for run in range(RUNS_PER_JOB):
                run_id = self.plan.run_uuid(t, run)
                event_pk = self._event_pk(t, run, True)
                recorded = when(self.plan.window(t, run).end + 2 * SECOND)
                for lineage in self.plan.column_mapping(t, run):
                    for source in lineage.inputs:
                        for kind, subtype in source.transformations:
                            pk += 1
                            yield (
                                pk,
                                run_id,
                                event_pk,
                                "facet",
                                out_ns,
                                out_name,
                                lineage.field,
                                t.id,
                                source.namespace,
                                source.name,
                                source.field,
                                source.table_id,
                                kind,
                                subtype,
                                recorded,
                                recorded,
                            )

    def all(self) -> list[Rows]:
        """Every table's rows, in an order that satisfies the foreign keys."""
        return [
            Rows("sources", ("id", "name", "format", "recorded_at"), self.sources),
            Rows(
                "tables",
                (
                    "id",
                    "source_id",
                    "identifier",
                    "format",
                    "location",
                    "cursor",
                    "current_incarnation_id",
                    "dropped_at",
                    "recorded_at",
                ),
                self.tables,
            ),
            Rows(
                "incarnations",
                ("id", "table_id", "uuid", "location", "format_version", "recorded_at"),
                self.incarnations,
            ),
            Rows(
                "snapshots",
                (
                    "id",
                    "incarnation_id",
                    "snapshot_id",
                    "parent_id",
                    "sequence_number",
                    "committed_at",
                    "operation",
                    "schema_id",
                    "summary",
                    "expired_in_source",
                    "recorded_at",
                ),
                self.snapshots,
                ("summary",),
            ),
            Rows(
                "heads",
                ("id", "table_id", "incarnation_id", "snapshot_id", "started_at", "recorded_at"),
                self.heads,
            ),
            Rows(
                "snapshot_keys",
                ("id", "incarnation_id", "snapshot_id", "key", "value", "recorded_at"),
                self.snapshot_keys,
            ),
            Rows(
                "schema_versions",
                ("id", "incarnation_id", "schema_id", "fingerprint", "recorded_at"),
                self.schema_versions,
            ),
            Rows(
                "schema_fields",
                (
                    "id",
                    "schema_version_pk",
                    "position",
                    "field_id",
                    "path",
                    "type",
                    "nullable",
                    "doc",
                    "physical_name",
                    "recorded_at",
                ),
                self.schema_fields,
                ("path",),
            ),
            Rows(
                "schema_heads",
                (
                    "id",
                    "table_id",
                    "incarnation_id",
                    "schema_version_pk",
                    "effective_at",
                    "dated_by",
                    "snapshot_id",
                    "recorded_at",
                ),
                self.schema_heads,
            ),
            Rows("jobs", ("id", "namespace", "name", "recorded_at"), self.jobs),
            Rows(
                "job_versions",
                (
                    "id",
                    "job_id",
                    "fingerprint",
                    "code_version",
                    "source_url",
                    "sql",
                    "sql_dialect",
                    "parameters",
                    "recorded_at",
                ),
                self.job_versions,
                ("parameters",),
            ),
            Rows(
                "events",
                (
                    "id",
                    "fingerprint",
                    "kind",
                    "event_type",
                    "event_time",
                    "run_id",
                    "job_namespace",
                    "job_name",
                    "raw",
                    "recorded_at",
                ),
                self.events,
                ("raw",),
            ),
            Rows("runs", ("id", "run_id", "job_id", "parent_run_id", "recorded_at"), self.runs),
            Rows(
                "run_states",
                (
                    "id",
                    "run_id",
                    "state",
                    "event_time",
                    "job_version_id",
                    "event_pk",
                    "recorded_at",
                ),
                self.run_states,
            ),
            Rows(
                "run_datasets",
                (
                    "id",
                    "run_id",
                    "event_pk",
                    "direction",
                    "namespace",
                    "name",
                    "version",
                    "snapshot_id",
                    "symlinks",
                    "facets",
                    "table_id",
                    "matched_at",
                    "matched_by",
                    "recorded_at",
                ),
                self.run_datasets,
                ("symlinks", "facets"),
            ),
            Rows(
                "column_edges",
                (
                    "id",
                    "run_id",
                    "event_pk",
                    "origin",
                    "output_namespace",
                    "output_name",
                    "output_field",
                    "output_table_id",
                    "input_namespace",
                    "input_name",
                    "input_field",
                    "input_table_id",
                    "kind",
                    "subtype",
                    "matched_at",
                    "recorded_at",
                ),
                self.column_edges,
            ),
        ]


def _chunks(rows: Iterable[tuple[Any, ...]], size: int = 20_000) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# -- writing ------------------------------------------------------------------------------


@dataclass
class Generated:
    """A generated store and what it took."""

    url: str
    plan: Plan
    rows: dict[str, int]
    seconds: dict[str, float]
    cached: bool
    path: Path | None = None

    def as_json(self) -> dict[str, Any]:
        """Counts and timings, for ``latest.json``."""
        return {
            "tables": len(self.plan.tables),
            "snapshots": self.plan.snapshots,
            "runs": self.plan.runs,
            "rows": self.rows,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "cached": self.cached,
            "file_mb": round(self.path.stat().st_size / 2**20, 1) if self.path else None,
        }


def cache_key(scale: float, seed: int = SEED) -> str:
    """The cached SQLite file's name for this scale."""
    from temporal_lineage.store.database import HEAD_REVISION

    return f"synthetic-{table_count(scale)}t-{VERSION}-seed{seed}-schema{HEAD_REVISION}.db"


def _migrate(url: str) -> float:
    from temporal_lineage.store import open_store

    started = time.perf_counter()
    store = open_store(url)
    store.close()
    return time.perf_counter() - started


def _write_sqlite(path: Path, plan: Plan, log: Callable[[str], None]) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    seconds["migrate"] = _migrate(measure.sqlite_url(path))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A fresh file nobody reads yet: no journal while loading, then back to WAL.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1048576")
        connection.execute("PRAGMA temp_store=MEMORY")
        for rows in RowMaker(plan, lambda us: us).all():
            started = time.perf_counter()
            marks = ", ".join("?" for _ in rows.columns)
            sql = f'INSERT INTO "{rows.table}" ({", ".join(rows.columns)}) VALUES ({marks})'
            count = 0
            connection.execute("BEGIN")
            for chunk in _chunks(rows.rows()):
                connection.executemany(sql, chunk)
                count += len(chunk)
            connection.execute("COMMIT")
            counts[rows.table] = count
            seconds[rows.table] = time.perf_counter() - started
            log(f"  {rows.table}: {count:,} rows in {seconds[rows.table]:.1f} s")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return {"rows": counts, "seconds": seconds}


def ensure_sqlite(
    scale: float,
    cache_dir: Path | None = None,
    seed: int = SEED,
    log: Callable[[str], None] = lambda _: None,
) -> Generated:
    """The cached SQLite store at ``scale``, generated first when the cache lacks it."""
    folder = cache_dir or measure.CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / cache_key(scale, seed)).resolve()
    meta = path.with_suffix(".json")
    plan_started = time.perf_counter()
    plan = make_plan(scale, seed)
    plan_seconds = time.perf_counter() - plan_started
    if path.is_file() and meta.is_file():
        done = json.loads(meta.read_text(encoding="utf-8"))
        return Generated(measure.sqlite_url(path), plan, done["rows"], done["seconds"], True, path)
    building = path.with_name(path.name + ".building")
    measure.remove_sqlite(building)
    started = time.perf_counter()
    written = _write_sqlite(building, plan, log)
    written["seconds"]["plan"] = plan_seconds
    written["seconds"]["total"] = time.perf_counter() - started + plan_seconds
    measure.remove_sqlite(path)
    building.rename(path)
    measure.remove_sqlite(building)
    meta.write_text(json.dumps(written), encoding="utf-8")
    for stale in folder.glob(f"synthetic-{table_count(scale)}t-*.db"):
        if stale.resolve() != path:  # an older version of this size: gigabytes at scale 1
            measure.remove_sqlite(stale)
            stale.with_suffix(".json").unlink(missing_ok=True)
    return Generated(
        measure.sqlite_url(path), plan, written["rows"], written["seconds"], False, path
    )


def _pg_time(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def generate_postgres(
    url: str, scale: float, seed: int = SEED, log: Callable[[str], None] = lambda _: None
) -> Generated:
    """Generate the store at ``scale`` into the (empty) PostgreSQL database at ``url``."""
    import psycopg
    from sqlalchemy.engine import make_url

    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    started = time.perf_counter()
    plan = make_plan(scale, seed)
    seconds["plan"] = time.perf_counter() - started
    seconds["migrate"] = _migrate(url)
    parsed = make_url(url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=parsed.host or "",
        port=parsed.port or 5432,
        user=parsed.username or "",
        password=parsed.password or "",
        dbname=parsed.database or "",
    )
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for rows in RowMaker(plan, _pg_time).all():
            table_started = time.perf_counter()
            count = 0
            with connection.transaction(), connection.cursor() as cursor:
                with cursor.copy(
                    f'COPY "{rows.table}" ({", ".join(rows.columns)}) FROM STDIN'
                ) as copy:
                    for row in rows.rows():
                        copy.write_row(row)
                        count += 1
                if count:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{rows.table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{rows.table}"))'
                    )
            counts[rows.table] = count
            seconds[rows.table] = time.perf_counter() - table_started
            log(f"  {rows.table}: {count:,} rows in {seconds[rows.table]:.1f} s")
        vacuum_started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        seconds["vacuum_analyze"] = time.perf_counter() - vacuum_started
    seconds["total"] = time.perf_counter() - started
    return Generated(url, plan, counts, seconds, False)


PG_ENV = "TEMPORAL_LINEAGE_TEST_PG_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def default_pg_url() -> str:
    """The PostgreSQL server to create benchmark databases on (the tests' variable)."""
    import os

    return os.environ.get(PG_ENV, PG_DEFAULT)


@contextmanager
def pg_database(admin_url: str, purpose: str) -> Iterator[str]:
    """A database of this run's own on the server of ``admin_url``, dropped at the end."""
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"tl_bench_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """``python bench/synthetic_store.py [--scale S] [--postgres URL]``: generate, print counts."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=default_pg_url(),
        help="generate into a fresh database on this server (dropped at the end) instead",
    )
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    if args.postgres:
        with pg_database(args.postgres, "generate") as url:
            generated = generate_postgres(url, args.scale, log=log)
    else:
        generated = ensure_sqlite(args.scale, args.cache_dir, log=log)
    print(json.dumps(generated.as_json(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
