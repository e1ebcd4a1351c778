"""Latency of the governance queries: ``classification`` of one table and ``policy_check``
of the whole store, over manual tags on the synthetic store.

On the synthetic store of ``synthetic_store.py`` (the one the lineage and impact queries run
on; SQLite and PostgreSQL):

* tags: a manual ``pii`` tag fact on 5 % of the source columns (the columns of the tables
  that have no inputs: layer 0, 2,000 tables and 10,000 columns at scale 1, so 500 tags),
  picked deterministically by the plan's ``mix`` hash of (seed, table, column), effective
  from the end of the table's first run, written one by one through the product's write
  path (``Store.write_tag(ManualTag(...), at)``, the field id resolved from the stored
  schema as ``tag add`` does) and timed. SQLite tags a copy of the cached file (SQLite's
  backup API, in a temporary folder; the cache itself is never written), PostgreSQL the
  run's own database. Each tag then flows downstream along the column lineage (a column
  chain runs to one source column, so about 23 % of the tables carry it);
* ``classification(store, governance, ref, as_of)``: ``calls`` (table, as-of) picks over
  ``TABLES`` tables at mid depth (layers 4-5 of 0-9, the nearest layers when those carry no
  tag) that carry a tag as of the pick (the plan says which columns: ``Carried``; a draw
  where the table carries none is drawn again); one untimed pass records per call the
  tagged columns (checked against the plan), the upstream tables the tags flow over and
  the SQL statements; ``repeats`` timed passes, best sample per pick, p50 / p95 / mean over
  the picks;
* ``policy_check(store, governance, as_of)`` of the whole store as of the end of the
  history, with a ``pii-confined`` policy (``confined``, namespaces ``*[02468]``: the tables
  whose number ends in an even digit, about half of them in every domain and layer) and a
  ``pii-owned`` policy (``owner_required``: the synthetic store has no owners, so every
  table holding the tag is a violation): one untimed run (violations, checked against the
  plan, and statements), then ``policy_runs`` timed runs, their median.

Targets: classification p50 <= 100 ms; policy check <= 30 s. A miss is profiled like the
lineage queries (every statement attributed to the product function that issued it, the
plans of the costliest ones): the classification pick nearest the p95, and one more policy
check (not warmed again).
"""

from __future__ import annotations

import fnmatch
import gc
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import impact_queries
import lineage_queries
import measure
import synthetic_store as synthetic

TARGET_CLASSIFICATION_P50_MS = 100.0
TARGET_POLICY_S = 30.0
TAG = "pii"
TAG_SHARE = 0.05
TAG_SOURCE = "bench"
TAG_SALT = 41
"""First part of the ``mix`` hash that ranks the source columns (any fixed number)."""
CONFINED_TO = "*[02468]"
"""The ``pii-confined`` policy's glob: table references whose last digit is even."""
MID_LAYERS = (4, 5)
TABLES = 5
"""How many mid-depth tables the classification picks spread over."""
POLICIES: list[dict[str, Any]] = [
    {"name": "pii-confined", "kind": "confined", "tag": TAG, "namespaces": [CONFINED_TO]},
    {"name": "pii-owned", "kind": "owner_required", "tag": TAG},
]


def governance() -> Any:
    """The ``Governance`` of the benchmark: no rules, the two policies."""
    from temporal_lineage.governance_config import parse_governance

    return parse_governance(None, None, POLICIES, "bench")


# -- which columns are tagged, and where the tags flow (by the plan) ------------------------


def source_columns(plan: synthetic.Plan) -> list[tuple[synthetic.TablePlan, str]]:
    """Every column of every table without inputs (the source tables of the plan)."""
    return [(t, c) for t in plan.tables if not t.inputs for c in synthetic.COLUMNS]


def tagged_columns(
    plan: synthetic.Plan, share: float = TAG_SHARE
) -> list[tuple[synthetic.TablePlan, str]]:
    """``share`` of the source columns (at least one), ranked by the plan's ``mix`` hash."""
    columns = source_columns(plan)
    count = max(1, round(len(columns) * share))
    ranked = sorted(
        columns,
        key=lambda c: synthetic.mix(TAG_SALT, plan.seed, c[0].id, synthetic.COLUMNS.index(c[1])),
    )
    return sorted(ranked[:count], key=lambda c: (c[0].id, synthetic.COLUMNS.index(c[1])))


def tag_effective_us(plan: synthetic.Plan, table: synthetic.TablePlan) -> int:
    """When a source column's tag takes effect: the end of its table's first run."""
    return plan.window(table, 0).end


@dataclass
class Carried:
    """The columns each table carries the tag in as of ``at``, by the plan: a tagged source
    column, or an output field with a DIRECT edge from a carrying input column in the
    column lineage of its job's run in force (INDIRECT ones, at dataset level, stop it)."""

    plan: synthetic.Plan
    tagged: dict[int, set[str]]
    """Table id -> its tagged columns (source tables)."""
    at: int
    _memo: dict[int, frozenset[str]] = field(default_factory=dict)

    def columns(self, table_id: int) -> frozenset[str]:
        found = self._memo.get(table_id)
        if found is not None:
            return found
        table = self.plan.table(table_id)
        run = impact_queries.run_in_force(self.plan, table, self.at)
        columns = set(self.tagged.get(table_id, ()))
        if table.inputs and run is not None:
            for lineage in self.plan.column_mapping(table, run):
                if lineage.field == synthetic.DATASET_LEVEL:
                    continue
                for source in lineage.inputs:
                    direct = all(kind == "DIRECT" for kind, _ in source.transformations)
                    if (
                        direct
                        and source.table_id is not None
                        and source.field in self.columns(source.table_id)
                    ):
                        columns.add(lineage.field)
        self._memo[table_id] = frozenset(columns)
        return self._memo[table_id]

    def upstream(self, table_id: int) -> set[int]:
        """The table and every table upstream of it through the runs in force at ``at``."""
        seen = {table_id}
        frontier = [table_id]
        while frontier:
            table = self.plan.table(frontier.pop())
            run = impact_queries.run_in_force(self.plan, table, self.at)
            for input_id in table.run_inputs(run) if run is not None else ():
                if input_id not in seen:
                    seen.add(input_id)
                    frontier.append(input_id)
        return seen


def carried(plan: synthetic.Plan, at: int) -> Carried:
    """Where the benchmark's tags are as of ``at`` (epoch microseconds), by the plan."""
    tagged: dict[int, set[str]] = {}
    for table, column in tagged_columns(plan):
        tagged.setdefault(table.id, set()).add(column)
    return Carried(plan, tagged, at)


def expected_policy(plan: synthetic.Plan, at: int) -> dict[str, int]:
    """Violations ``policy_check`` must find as of ``at``: one per carrying column outside
    the confined glob, one per table holding the tag (nobody owns anything)."""
    where = carried(plan, at)
    holding = [t for t in plan.tables if where.columns(t.id)]
    outside = [
        t for t in holding if not fnmatch.fnmatchcase(f"{t.source}.{t.identifier}", CONFINED_TO)
    ]
    return {
        "pii-confined": sum(len(where.columns(t.id)) for t in outside),
        "pii-owned": len(holding),
        "tables_holding": len(holding),
        "columns_holding": sum(len(where.columns(t.id)) for t in holding),
    }


def confined_share(plan: synthetic.Plan) -> float:
    """The share of the tables the confined glob allows."""
    allowed = sum(
        1 for t in plan.tables if fnmatch.fnmatchcase(f"{t.source}.{t.identifier}", CONFINED_TO)
    )
    return allowed / len(plan.tables)


# -- the tags in the store --------------------------------------------------------------------


@contextmanager
def tagging_store(
    store: Any, folder: Path, log: Callable[[str], None]
) -> Iterator[tuple[Any, float]]:
    """A store the tags may be written into, and the seconds it took to make: a copy of a
    SQLite file (the cache is never written), the store itself on PostgreSQL (the run's own
    database)."""
    import sqlite3

    from temporal_lineage.store import open_store

    if store.dialect != "sqlite":
        yield store, 0.0
        return
    source = Path(str(store.engine.url.database))
    copy = folder / "governance.db"
    log(f"  sqlite: copying the store ({source.stat().st_size / 2**20:,.0f} MiB) to tag it ...")
    started = time.perf_counter()
    origin, target = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        origin.backup(target, pages=65_536)
    finally:
        origin.close()
        target.close()
    tagged = open_store(measure.sqlite_url(copy))
    try:
        yield tagged, time.perf_counter() - started
    finally:
        tagged.close()
        measure.remove_sqlite(copy)


def write_tags(store: Any, plan: synthetic.Plan) -> dict[str, Any]:
    """The benchmark's tags through ``Store.write_tag``, one call (transaction) each."""
    from temporal_lineage.model import TableRef, TagAction
    from temporal_lineage.query.impact import field_named
    from temporal_lineage.store.governance_writes import ManualTag
    from temporal_lineage.times import now

    columns = tagged_columns(plan)
    facts = []
    with store.reader() as reader:
        for table, column in columns:
            stored = reader.get_table(TableRef(table.source, table.identifier))
            effective = synthetic.EPOCH + timedelta(microseconds=tag_effective_us(plan, table))
            schema = reader.schema_as_of(stored, effective)
            found = field_named(schema.schema if schema else None, column)
            if found is None:
                raise RuntimeError(f"{stored.ref} has no column {column} at {effective}")
            facts.append(
                ManualTag(
                    table=stored,
                    field=found.dotted_path,
                    field_id=found.id,
                    tag=TAG,
                    action=TagAction.ADD,
                    effective_at=effective,
                    source=TAG_SOURCE,
                    reason="bench: 5% of the source columns",
                )
            )
    at = now()
    started = time.perf_counter()
    for fact in facts:
        store.write_tag(fact, at)
    spent = time.perf_counter() - started
    return {
        "tags": len(facts),
        "source_columns": len(source_columns(plan)),
        "source_tables": len({t.id for t, _ in source_columns(plan)}),
        "with_field_id": sum(1 for f in facts if f.field_id is not None),
        "write_s": round(spent, 3),
        "write_ms_per_tag": round(spent * 1000 / len(facts), 3),
    }


# -- classification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One classification call: a table and an as-of time, and what the plan expects."""

    table_id: int
    source: str
    identifier: str
    layer: int
    as_of: datetime
    expected: frozenset[str]
    upstream: int


def _draw_at(rng: random.Random, plan: synthetic.Plan) -> int:
    start, end = plan.span
    at = rng.randrange(start + synthetic.DAY, end)
    return at - at % synthetic.MS


def mid_depth_tables(plan: synthetic.Plan, count: int, seed: int = 17) -> list[synthetic.TablePlan]:
    """``count`` tables carrying a tag at the end of the history, drawn from the mid layers
    together (then from the layers nearest them, two at a time, when those run short)."""
    rng = random.Random(seed)
    where = carried(plan, plan.span[1])
    mid = statistics.fmean(MID_LAYERS)
    by_layer: dict[int, list[synthetic.TablePlan]] = {}
    for table in plan.tables:
        if table.layer and where.columns(table.id):
            by_layer.setdefault(table.layer, []).append(table)
    for found in by_layer.values():
        rng.shuffle(found)
    chosen: list[synthetic.TablePlan] = []
    for distance in sorted({abs(layer - mid) for layer in by_layer}):
        group = [by_layer[n] for n in sorted(by_layer) if abs(n - mid) == distance]
        for turn in itertools.zip_longest(*group):  # the group's layers in turn
            chosen.extend(t for t in turn if t is not None)
        if len(chosen) >= count:
            break
    return chosen[:count]


def make_picks(plan: synthetic.Plan, count: int, seed: int = 19) -> list[Pick]:
    """``count`` (table, as-of) picks, round robin over ``TABLES`` mid-depth tables, each at
    a random as-of where the table carries a tag (the end of the history after 50 draws)."""
    rng = random.Random(seed)
    tables = mid_depth_tables(plan, TABLES)
    if not tables:
        raise RuntimeError("no table downstream of the tagged source columns carries a tag")
    picks = []
    for index in range(count):
        table = tables[index % len(tables)]
        for _ in range(50):
            at = _draw_at(rng, plan)
            where = carried(plan, at)
            if where.columns(table.id):
                break
        else:
            at = plan.span[1]
            where = carried(plan, at)
        picks.append(
            Pick(
                table.id,
                table.source,
                table.identifier,
                table.layer,
                synthetic.EPOCH + timedelta(microseconds=at),
                where.columns(table.id),
                len(where.upstream(table.id)),
            )
        )
    return picks


def _classify(store: Any, rules: Any, pick: Pick) -> Any:
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.classification import classification

    return classification(store, rules, TableRef(pick.source, pick.identifier), pick.as_of)


def _tagged(answer: Any) -> set[str]:
    return {c.column for c in answer.columns if any(tag.tag == TAG for tag in c.tags)}


def _classification_sizes(answer: Any) -> dict[str, int]:
    return {
        "tagged columns": len(_tagged(answer)),
        "stops": sum(len(c.stopped) for c in answer.columns),
    }


def measure_classification(
    store: Any, rules: Any, picks: list[Pick], repeats: int
) -> dict[str, Any]:
    """Warm pass (answers checked against the plan, statements), then the timed passes."""
    seen = []
    for pick in picks:
        with lineage_queries.statements(store.engine) as log:
            answer = _classify(store, rules, pick)
        got = _tagged(answer)
        seen.append(
            {
                "tagged": len(got),
                "stops": sum(len(c.stopped) for c in answer.columns),
                "statements": log.count,
                "matches_plan": got == pick.expected,
            }
        )
    samples: list[list[float]] = [[] for _ in picks]
    for _ in range(repeats):
        gc.collect()
        for index, pick in enumerate(picks):
            started = time.perf_counter()
            _classify(store, rules, pick)
            samples[index].append(time.perf_counter() - started)
    percentile = lineage_queries.percentile
    best = [min(s) * 1000 for s in samples]
    everything = [x * 1000 for s in samples for x in s]
    upstream = [float(p.upstream) for p in picks]
    fixed, per_table = lineage_queries._fit(upstream, best)
    return {
        "picks": len(picks),
        "repeats": repeats,
        "tables": sorted({f"{p.source}.{p.identifier}" for p in picks}),
        "layers": sorted({p.layer for p in picks}),
        "p50_ms": round(percentile(best, 0.5), 2),
        "p95_ms": round(percentile(best, 0.95), 2),
        "mean_ms": round(statistics.fmean(best), 2),
        "max_ms": round(max(best), 2),
        "p50_all_samples_ms": round(percentile(everything, 0.5), 2),
        "tagged_columns_median": statistics.median([s["tagged"] for s in seen]),
        "stops_median": statistics.median([s["stops"] for s in seen]),
        "upstream_tables_median": statistics.median(upstream),
        "upstream_tables_max": int(max(upstream)),
        "statements_median": statistics.median([s["statements"] for s in seen]),
        "statements_p95": round(percentile([float(s["statements"]) for s in seen], 0.95), 1),
        "answers_unlike_plan": sum(1 for s in seen if not s["matches_plan"]),
        "fit_fixed_ms": round(fixed, 2),
        "fit_ms_per_upstream_table": round(per_table, 3),
        "best_ms": [round(b, 3) for b in best],
    }


# -- policy check -----------------------------------------------------------------------------


def _check(store: Any, rules: Any, as_of: datetime) -> Any:
    from temporal_lineage.query.policy import policy_check

    return policy_check(store, rules, as_of)


def _policy_sizes(report: Any) -> dict[str, int]:
    return {r.policy.name: len(r.violations) for r in report.results}


def measure_policy(
    store: Any, rules: Any, plan: synthetic.Plan, runs: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """One untimed run (violations checked against the plan, statements), then ``runs``."""
    at = plan.span[1]
    as_of = synthetic.EPOCH + timedelta(microseconds=at)
    with lineage_queries.statements(store.engine) as statements:
        report, warm = measure.time_call(lambda: _check(store, rules, as_of))
    found = _policy_sizes(report)
    expected = expected_policy(plan, at)
    log(f"    policy check, untimed run: {warm:.1f} s, violations {found} ...")
    samples = []
    for _ in range(runs):
        gc.collect()
        samples.append(measure.time_call(lambda: _check(store, rules, as_of))[1])
    return {
        "as_of": as_of.isoformat(),
        "runs": runs,
        "p50_s": round(statistics.median(samples), 3),
        "best_s": round(min(samples), 3),
        "samples_s": [round(s, 3) for s in samples],
        "untimed_run_s": round(warm, 3),
        "statements": statements.count,
        "violations": found,
        "expected_violations": {k: expected[k] for k in found},
        "tables_holding": expected["tables_holding"],
        "columns_holding": expected["columns_holding"],
        "matches_plan": all(found[k] == expected[k] for k in found),
    }


# -- the workload -----------------------------------------------------------------------------


def measure_store(
    store: Any,
    plan: synthetic.Plan,
    calls: int,
    repeats: int,
    policy_runs: int,
    profile: str,
    out_dir: Path,
    label: str,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Tag, then time both queries (and profile them when asked or missed), on one store."""
    rules = governance()
    with tempfile.TemporaryDirectory(prefix="tl-bench-governance-") as folder:
        with tagging_store(store, Path(folder), log) as (tagged, copy_seconds):
            result: dict[str, Any] = {"tagging": write_tags(tagged, plan)}
            result["tagging"]["store_copy_s"] = round(copy_seconds, 2)
            result["tagging"]["confined_share"] = round(confined_share(plan), 3)
            log(
                f"  {label}: {result['tagging']['tags']} tags written in "
                f"{result['tagging']['write_s']:.1f} s; classification, {calls} picks x "
                f"{repeats} passes ..."
            )
            picks = make_picks(plan, calls)
            result["classification"] = measure_classification(tagged, rules, picks, repeats)
            log(f"  {label}: policy check of the whole store, 1 + {policy_runs} runs ...")
            result["policy"] = measure_policy(tagged, rules, plan, policy_runs, log)
            result["profiles"] = _profiles(tagged, rules, picks, result, profile, out_dir, label)
    return result


def _profiles(
    store: Any,
    rules: Any,
    picks: list[Pick],
    result: dict[str, Any],
    profile: str,
    out_dir: Path,
    label: str,
) -> dict[str, Any]:
    """cProfile the classification pick nearest the p95 and one policy check, when asked or
    when their target is missed (``lineage_queries.profile_call``)."""
    found: dict[str, Any] = {}
    figures, policy = result["classification"], result["policy"]
    if profile == "always" or (
        profile == "auto" and figures["p50_ms"] > TARGET_CLASSIFICATION_P50_MS
    ):
        best = figures["best_ms"]
        p95 = lineage_queries.percentile(best, 0.95)
        pick = picks[min(range(len(picks)), key=lambda i: abs(best[i] - p95))]
        summary = lineage_queries.profile_call(
            store,
            lambda: _classify(store, rules, pick),
            out_dir / f"profile-classification-{label}.txt",
            f"classification of {pick.source}.{pick.identifier} as of {pick.as_of.isoformat()}",
            _classification_sizes,
        )
        summary.update(
            {
                "query": "classification",
                "table": f"{pick.source}.{pick.identifier}",
                "as_of": pick.as_of.isoformat(),
                "size": f"{summary['tagged columns']} tagged columns, {summary['stops']} stops",
            }
        )
        found["classification"] = summary
    if profile == "always" or (profile == "auto" and policy["p50_s"] > TARGET_POLICY_S):
        as_of = datetime.fromisoformat(policy["as_of"])
        summary = lineage_queries.profile_call(
            store,
            lambda: _check(store, rules, as_of),
            out_dir / f"profile-policy-{label}.txt",
            f"policy check of the whole store as of {policy['as_of']}",
            _policy_sizes,
            warm=False,  # the timed runs warmed it; one run can take minutes
        )
        violations = ", ".join(f"{summary[name]} {name}" for name in policy["violations"])
        summary.update(
            {
                "query": "policy check",
                "table": "every table",
                "as_of": policy["as_of"],
                "size": f"violations: {violations}",
            }
        )
        found["policy"] = summary
    return found


def governance_measure(
    calls: int,
    repeats: int,
    policy_runs: int = 3,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> lineage_queries.Measure:
    """The governance workload, for ``lineage_queries.on_stores``."""

    def run_measure(store: Any, label: str, plan: synthetic.Plan) -> dict[str, Any]:
        out_dir.mkdir(parents=True, exist_ok=True)
        return measure_store(store, plan, calls, repeats, policy_runs, profile, out_dir, label, log)

    return run_measure


def finish(results: dict[str, Any]) -> dict[str, Any]:
    """Add the workload's constants to what ``on_stores`` returned for it."""
    results.update(
        {
            "tag": TAG,
            "tag_share": TAG_SHARE,
            "confined_to": CONFINED_TO,
            "target_classification_p50_ms": TARGET_CLASSIFICATION_P50_MS,
            "target_policy_s": TARGET_POLICY_S,
        }
    )
    return results


def run(
    scale: float,
    calls: int,
    repeats: int,
    cache_dir: Path,
    pg_admin_url: str | None,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
    policy_runs: int = 3,
) -> dict[str, Any]:
    """Both databases (PostgreSQL when ``pg_admin_url`` is given)."""
    workload = governance_measure(calls, repeats, policy_runs, profile, out_dir, log)
    found = lineage_queries.on_stores(scale, cache_dir, pg_admin_url, {"governance": workload}, log)
    return finish(found["governance"])


def main(argv: list[str] | None = None) -> int:
    """``python bench/governance_queries.py [--scale S] [--calls N] [--no-postgres]``."""
    return lineage_queries.standalone_main(
        argv, main.__doc__ or "", "calls", run, ("classification",)
    )


if __name__ == "__main__":
    raise SystemExit(main())
