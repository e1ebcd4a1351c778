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

The schema is created by the product's own migration (``open_store``). The generator states
only the values: which columns they fill, their types (instants, JSON), what is left NULL
and what takes a default are read from the store's own tables
(``temporal_lineage/store/tables.py``), so a migration needs no change here. Rows are then
written with the driver: ``executemany`` on SQLite (the file is cached in ``bench/.cache/``,
keyed by ``VERSION``, the scale, the seed and the migration head), ``COPY ... FROM STDIN``
through psycopg on PostgreSQL (a fresh database per run), followed by ``VACUUM ANALYZE`` as
autovacuum would have done on a store of that age (SQLite gets no ``ANALYZE``: the product
never runs one).

The parts live in ``synthetic/``: ``plan.py`` (tables, jobs, runs, column lineage),
``events.py`` (the OpenLineage events), ``rows.py`` (the values per store table),
``layout.py`` (those values onto the store's columns), ``load.py``, ``sqlite.py`` and
``postgres.py`` (writing them). This module is their public face and the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import measure
from synthetic.events import (
    COLUMN_LINEAGE_URL,
    FACET_URL,
    PRODUCER,
    SCHEMA_URL,
    column_facet,
    dataset,
    iso,
    run_event,
)
from synthetic.load import Generated
from synthetic.plan import (
    COLUMNS,
    COMMITS_PER_RUN,
    DATASET_LEVEL,
    DAY,
    EPOCH,
    FULL_TABLES,
    HOUR,
    MINUTE,
    MS,
    RUNS_PER_JOB,
    SECOND,
    SEED,
    SNAPSHOTS_PER_TABLE,
    T0,
    T0_US,
    ColumnLineage,
    ColumnSource,
    Plan,
    RunWindow,
    TablePlan,
    make_plan,
    mix,
    table_count,
)
from synthetic.postgres import (
    PG_DEFAULT,
    PG_ENV,
    default_pg_url,
    generate_postgres,
    pg_database,
)
from synthetic.rows import RUN_ID_KEY, RowMaker, Rows
from synthetic.sqlite import VERSION, cache_key, ensure_sqlite, insert_rows

__all__ = [
    "COLUMNS",
    "COLUMN_LINEAGE_URL",
    "COMMITS_PER_RUN",
    "DATASET_LEVEL",
    "DAY",
    "EPOCH",
    "FACET_URL",
    "FULL_TABLES",
    "HOUR",
    "MINUTE",
    "MS",
    "PG_DEFAULT",
    "PG_ENV",
    "PRODUCER",
    "RUNS_PER_JOB",
    "RUN_ID_KEY",
    "SCHEMA_URL",
    "SECOND",
    "SEED",
    "SNAPSHOTS_PER_TABLE",
    "T0",
    "T0_US",
    "VERSION",
    "ColumnLineage",
    "ColumnSource",
    "Generated",
    "Plan",
    "RowMaker",
    "Rows",
    "RunWindow",
    "TablePlan",
    "cache_key",
    "column_facet",
    "dataset",
    "default_pg_url",
    "ensure_sqlite",
    "generate_postgres",
    "insert_rows",
    "iso",
    "main",
    "make_plan",
    "mix",
    "pg_database",
    "run_event",
    "table_count",
]


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
