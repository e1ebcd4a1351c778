"""``policy check``: the policies of lineage.yaml evaluated as of A (known at K) over the
tags as they flowed then, owners, retention and reads; each violation names the table or
column, the rule, and the path of edges and runs that proves it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.governance_config import Governance, Policy, PolicyKind
from temporal_lineage.model import TableRef
from temporal_lineage.query.tag_flow import CarriedTag, Hop, How, TagMap, flow
from temporal_lineage.store import Store, StoredTable, StoreReader
from temporal_lineage.store.access_reads import ScanRead
from temporal_lineage.times import format_time


@dataclass(frozen=True)
class Violation:
    """One breach of a policy: where, what, and the path that proves it."""

    table: TableRef
    column: str | None
    detail: str
    path: tuple[Hop, ...]


@dataclass(frozen=True)
class PolicyResult:
    """One policy's outcome as of A."""

    policy: Policy
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class PolicyReport:
    """The answer of ``policy check``."""

    as_of: datetime
    known_at: datetime | None
    results: tuple[PolicyResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def policy_check(
    store: Store,
    governance: Governance,
    as_of: datetime,
    known_at: datetime | None = None,
    only: str | None = None,
) -> PolicyReport:
    """Every policy (or the one named ``only``) evaluated over the whole store as of A.

    Raises:
        ConfigError: ``only`` names no configured policy.
    """
    policies = (governance.policy(only),) if only else governance.policies
    with store.reader() as reader:
        tags = flow(reader, governance, as_of, known_at)
        results = tuple(
            PolicyResult(p, tuple(_violations(reader, governance, tags, p, known_at)))
            for p in policies
        )
    return PolicyReport(as_of, known_at, results)


def _violations(
    reader: StoreReader,
    governance: Governance,
    tags: TagMap,
    policy: Policy,
    known_at: datetime | None,
) -> Iterator[Violation]:
    if policy.kind is PolicyKind.CONFINED:
        yield from _confined(tags, policy)
        return
    holding = _holding(tags, policy.tag)
    if policy.kind is PolicyKind.OWNER_REQUIRED:
        yield from _unowned(reader, governance, tags, holding, known_at)
    elif policy.kind is PolicyKind.RETENTION:
        yield from _retained(reader, tags, policy, holding, known_at)
    else:
        yield from _readers(reader, tags, policy, holding, known_at)


def _how(carried: CarriedTag) -> str:
    origin = (
        f"{carried.origin_table}.{carried.origin_column}"
        if carried.origin_column
        else str(carried.origin_table)
    )
    if carried.how is How.DIRECT:
        return f"{carried.tag} tagged here directly ({carried.detail})"
    verb = "may reach" if carried.how is How.MAY_CONTAIN else "reached"
    return f"{carried.tag} from {origin} ({carried.detail}) {verb} it in {len(carried.path)} hop(s)"


def _confined(tags: TagMap, policy: Policy) -> Iterator[Violation]:
    for table, column, carried in tags.carriers(policy.tag):
        if not policy.allows_table(str(table.ref)):
            where = ", ".join(policy.namespaces)
            yield Violation(
                table.ref, column, f"{_how(carried)}; allowed only in {where}", carried.path
            )
    if policy.unless_masked:
        return
    for stop in tags.stops:
        target = stop.hop.to_node.table
        if stop.tag.tag == policy.tag and target and not policy.allows_table(str(target)):
            yield Violation(
                target,
                stop.hop.to_column,
                f"{policy.tag} reached it masked ({stop.rule}) and unless_masked is false",
                (*stop.tag.path, stop.hop),
            )


def _holding(tags: TagMap, tag: str) -> dict[int, CarriedTag]:
    """Each table holding ``tag`` and one way it holds it (shortest path first)."""
    found: dict[int, CarriedTag] = {}
    for table, _, carried in tags.carriers(tag):
        best = found.get(table.table_id)
        if best is None or len(carried.path) < len(best.path):
            found[table.table_id] = carried
    return found


def _unowned(
    reader: StoreReader,
    governance: Governance,
    tags: TagMap,
    holding: dict[int, CarriedTag],
    known_at: datetime | None,
) -> Iterator[Violation]:
    tables = [tags.tables[tid] for tid in sorted(holding)]
    writers = reader.runs_touching([t.table_id for t in tables], "output", known_at)
    jobs_by_table = {
        tid: reader.jobs_of_runs(runs, known_at) if runs else set() for tid, runs in writers.items()
    }
    all_jobs = {job for jobs in jobs_by_table.values() for job in jobs}
    facts = reader.owner_facts(tables, all_jobs, tags.as_of, known_at)
    latest_table = {f.table_id: f.owners for f in facts if f.table_id is not None}
    latest_job = {f.job: f.owners for f in facts if f.job is not None}  # oldest first: last wins
    for table in tables:
        owners = set(governance.owners_of(str(table.ref)))
        owners |= set(latest_table.get(table.table_id, ()))
        for job in jobs_by_table.get(table.table_id, set()):
            owners |= set(latest_job.get(job, ()))
        if not owners:
            carried = holding[table.table_id]
            yield Violation(
                table.ref,
                None,
                f"holds {_how(carried)}; no owner: no ownership facet for the table or the "
                "jobs writing it, none in governance.owners",
                carried.path,
            )


def _retained(
    reader: StoreReader,
    tags: TagMap,
    policy: Policy,
    holding: dict[int, CarriedTag],
    known_at: datetime | None,
) -> Iterator[Violation]:
    assert policy.max_age is not None
    cutoff = tags.as_of - policy.max_age
    for table_id in sorted(holding):
        table = tags.tables[table_id]
        old = _old_in_source(reader, table, cutoff, tags.as_of, known_at)
        if old:
            shown = ", ".join(str(s) for s in old[:5]) + (" ..." if len(old) > 5 else "")
            yield Violation(
                table.ref,
                None,
                f"holds {policy.tag}; {len(old)} snapshot(s) committed before "
                f"{format_time(cutoff)} still in the source as of {format_time(tags.as_of)}: "
                f"{shown}",
                holding[table_id].path,
            )


def _old_in_source(
    reader: StoreReader,
    table: StoredTable,
    cutoff: datetime,
    as_of: datetime,
    known_at: datetime | None,
) -> Sequence[int]:
    """Snapshots committed before ``cutoff`` the source had not expired by ``as_of``."""
    head = reader.head_as_of(table, as_of, known_at)
    if head is None:
        return []
    return [
        s.snapshot.snapshot_id
        for s in reader.list_snapshots(table, known_at)
        if s.incarnation == head.incarnation
        and s.snapshot.committed_at < cutoff
        and (s.expired_in_source is None or s.expired_in_source > as_of)
    ]


def _readers(
    reader: StoreReader,
    tags: TagMap,
    policy: Policy,
    holding: dict[int, CarriedTag],
    known_at: datetime | None,
) -> Iterator[Violation]:
    """Reads of a tagged table by a reader the policy does not allow: runs (allowed by their
    job or the user their facets name) and Iceberg scan reports (allowed by principal), the
    same facts ``access`` answers with."""
    reads = reader.runs_touching(sorted(holding), "input", known_at)
    run_ids = {r for runs in reads.values() for r in runs}
    infos = reader.run_infos(run_ids, known_at)
    users = {
        run_id: [p.principal for p in found if p.kind == "user"]
        for run_id, found in reader.run_principals(run_ids, known_at).items()
    }
    allowed = ", ".join(policy.jobs)
    for table_id in sorted(reads):
        table = tags.tables[table_id]
        latest: dict[str, tuple[datetime, str]] = {}
        for run_id in reads[table_id]:
            info = infos.get(run_id)
            if info is None or info.started_at is None or info.started_at > tags.as_of:
                continue
            job = str(info.job)
            if policy.allows_job(job) or any(policy.allows_job(u) for u in users.get(run_id, ())):
                continue
            if job not in latest or latest[job] < (info.started_at, run_id):
                latest[job] = (info.started_at, run_id)
        for job, (at, run_id) in sorted(latest.items()):
            who = users.get(run_id)
            yield Violation(
                table.ref,
                None,
                f"job {job} read it (holds {policy.tag}) in run {run_id} at {format_time(at)}"
                + (f" as {', '.join(who)}" if who else "")
                + f"; allowed readers: {allowed}",
                holding[table_id].path,
            )
    tables = [tags.tables[tid] for tid in sorted(holding)]
    scans: dict[tuple[int, str], ScanRead] = {}
    for scan in reader.scan_reads(tables, None, tags.as_of, known_at):
        principal = scan.principal or ""
        if principal and policy.allows_job(principal):
            continue
        scans[(scan.table_id, principal)] = scan  # oldest first: the last read wins
    for (table_id, principal), scan in sorted(scans.items(), key=lambda item: item[0]):
        yield Violation(
            tags.tables[table_id].ref,
            None,
            f"{principal or 'an unnamed client'} read it (holds {policy.tag}) through Iceberg scan "
            f"report {scan.report_id} at {format_time(scan.at)} (snapshot {scan.snapshot_id}); "
            f"allowed readers: {allowed}",
            holding[table_id].path,
        )
