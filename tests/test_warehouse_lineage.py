"""The sample warehouse end to end: its jobs' events + sync give the timeline's links."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli
from temporal_lineage.config import load_settings
from temporal_lineage.ingest import ingest_files
from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.query.lineage import lineage
from temporal_lineage.query.links import run_inputs
from temporal_lineage.store import Store, reads
from temporal_lineage.store.run_reads import run_infos
from temporal_lineage.sync import sync
from temporal_lineage.times import parse_time
from warehouse_fixtures.timeline import Timeline

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(params=["events_first", "sync_first"])
def linked(request: pytest.FixtureRequest, store: Store, warehouse: Timeline) -> Store:
    settings = load_settings(warehouse.root / "lineage.yaml")
    events = [warehouse.root / "openlineage" / "events.ndjson"]
    if request.param == "events_first":
        assert ingest_files(store, events).rejected == []
        assert sync(store, settings).errors == []
    else:
        assert sync(store, settings).errors == []
        assert ingest_files(store, events).rejected == []
    return store


def test_every_snapshot_links_to_its_run_with_the_expected_evidence(
    linked: Store, warehouse: Timeline
) -> None:
    for name, table in warehouse.tables.items():
        ref = TableRef.from_user_string(name)
        snaps = history.list_snapshots(linked, ref)
        found = history.producers_of(linked, ref, snaps)
        for truth in table.to_dict()["snapshots"]:
            if truth["expired"]:
                continue
            snap = next(s for s in snaps if s.snapshot.snapshot_id == truth["snapshot"])
            producer = found.get((snap.incarnation, snap.snapshot.snapshot_id))
            got = (producer.run_id, producer.evidence[0].kind.value) if producer else (None, None)
            assert got == (truth["produced_by"], truth["evidence"]), (name, truth["snapshot"])


def test_every_run_read_the_expected_input_snapshots(linked: Store, warehouse: Timeline) -> None:
    runs = [r for r in warehouse.to_dict()["runs"] if r["inputs"]]
    with linked.reader() as reader:
        infos = reader.run_infos([r["run_id"] for r in runs], None)
        derived = run_inputs(reader, infos, None)
    # A snapshot expired before the first sync was never seen: no link can name it.
    expired = {
        (n, s.snapshot) for n, t in warehouse.tables.items() for s in t.snapshots if s.expired
    }
    for run in runs:
        want = {
            (i["table"], i["snapshot"], i["evidence"])
            for i in run["inputs"]
            if i["table"] and (i["table"], i["snapshot"]) not in expired
        }
        got = {
            (str(link.node), link.snapshot.snapshot.snapshot_id, link.evidence[0].kind.value)
            for link in derived[run["run_id"]]
            if link.table is not None and link.snapshot is not None
        }
        assert got == want, (run["job"], run["day"])


def test_the_code_change_ends_the_users_edge(linked: Store, warehouse: Timeline) -> None:
    runs = warehouse.to_dict()["runs"]
    v2 = next(r for r in runs if r["job"] == "build-training-set" and r["day"] == 5)
    before = lineage(linked, TableRef("deltas", "training_set"), parse_time(v2["started_at"]))
    after = lineage(linked, TableRef("deltas", "training_set"), parse_time(v2["ended_at"]))

    def sources(graph: Any) -> set[str]:
        return {str(e.source) for e in graph.edges if str(e.target) == "deltas.training_set"}

    assert sources(before) == {"lake.features.user_features", "deltas.users"}
    assert sources(after) == {"lake.features.user_features", "lake.raw.events"}


def test_the_failed_run_produced_nothing_and_reads_as_failed(
    linked: Store, warehouse: Timeline
) -> None:
    failed = [r for r in warehouse.to_dict()["runs"] if r["state"] == "FAIL"]
    assert len(failed) == 1
    with linked.connect() as conn:
        info = run_infos(conn, [failed[0]["run_id"]], None)[failed[0]["run_id"]]
        table = reads.get_table(conn, TableRef("deltas", "training_set"))
        snaps = reads.list_snapshots(conn, table)
    assert info.state.value == "FAIL"
    produced = history.producers_of(linked, TableRef("deltas", "training_set"), snaps)
    assert failed[0]["run_id"] not in {p.run_id for p in produced.values()}


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_SNAPSHOT_KEYS = {"snapshot", "from_snapshot", "to_snapshot", "current_snapshot", "parent"}


def normalise(value: Any, root: str, names: dict[str, str]) -> Any:
    """Ids and times differ per build: name them in order of first appearance."""

    def name(kind: str, raw: object) -> str:
        key = f"{kind}:{raw}"
        if key not in names:
            names[key] = f"<{kind}-{sum(k.startswith(kind) for k in names) + 1}>"
        return names[key]

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _SNAPSHOT_KEYS and isinstance(item, int) and item > 10**6:
                out[key] = name("snapshot", item)
            elif key in ("detail", "location", "sql", "incarnation", "summary"):
                out[key] = "<" + key + ">" if item is not None else None
            else:
                out[key] = normalise(item, root, names)
        return out
    if isinstance(value, list):
        return [normalise(item, root, names) for item in value]
    if isinstance(value, str):
        if _UUID.match(value):
            return name("run", value)
        if _TIME.match(value):
            return name("time", value)
        if len(value) == 40 and all(c in "0123456789abcdef" for c in value):
            return name("sha", value)
        return value.replace(root, "<root>")
    return value


@pytest.mark.parametrize(
    "argv",
    [
        ["snapshots", "deltas.training_set"],
        ["lineage", "deltas.training_set", "--as-of", "{day4}", "--depth", "3"],
        ["lineage", "lake.raw.events", "--as-of", "{end}", "--direction", "downstream"],
        ["provenance", "deltas.training_set", "--as-of", "{day4}"],
    ],
    ids=["snapshots", "lineage-day4", "lineage-downstream", "provenance-day4"],
)
def test_cli_answers_match_golden(
    argv: list[str], store: Store, warehouse: Timeline, request: pytest.FixtureRequest
) -> None:
    config = str(warehouse.root / "lineage.yaml")
    url = store.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["sync", "--config", config, "--store", url]).exit_code == 0
    events = str(warehouse.root / "openlineage" / "events.ndjson")
    assert runner.invoke(cli, ["ingest", events, "--config", config, "--store", url]).exit_code == 0
    runs = warehouse.to_dict()["runs"]
    day4 = max(r["ended_at"] for r in runs if r["day"] == 4)
    end = parse_time(max(r["ended_at"] for r in runs)) + timedelta(days=1)
    times = {"day4": day4, "end": end.isoformat()}
    filled = [a.format(**times) for a in argv]
    result = runner.invoke(cli, [*filled, "--config", config, "--store", url, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = normalise(json.loads(result.stdout), str(warehouse.root), {})
    path = GOLDEN / f"warehouse-{request.node.callspec.id.split('-', 1)[1]}.json"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
        return
    assert path.is_file(), f"no golden file {path.name}: run with --update-golden"
    assert got == json.loads(path.read_text())


def test_propagation_matches_the_ground_truth(linked: Store, warehouse: Timeline) -> None:
    from temporal_lineage.query.propagation import propagation

    truth = warehouse.to_dict()["propagation"]
    assert {item["change"] for item in truth} == {"renamed", "dropped"}
    ref = TableRef("lake", "features.user_features")
    for item in truth:
        instants = {s["as_of"] for d in item["downstream"] for s in d["statuses"]}
        for instant in sorted(instants):
            found = propagation(linked, ref, as_of=parse_time(instant))
            (change,) = [
                p
                for p in found
                if p.change.kind.value == item["change"]
                and ".".join(p.change.old_path or ()) == item["old_path"]
            ]
            assert change.change.field_id == item["field_id"]
            assert change.effective_at == parse_time(item["effective_at"])
            got = {
                (str(d.affected.node), d.affected.column): (d.status, [r.run_id for r in d.runs])
                for d in change.downstream
            }
            want = {
                (d["table"], d["column"]): (s["status"], s["runs"])
                for d in item["downstream"]
                for s in d["statuses"]
                if s["as_of"] == instant
            }
            assert got == want, (item["change"], instant)


def test_impact_follows_symlinked_inputs(linked: Store, warehouse: Timeline) -> None:
    """training_set reads users under its metastore name; a symlink says which table it is."""
    from temporal_lineage.query.impact import impact

    runs = warehouse.to_dict()["runs"]
    day4 = parse_time(max(r["ended_at"] for r in runs if r["day"] == 4))
    answer = impact(linked, TableRef("deltas", "users"), "country", as_of=day4)
    assert ("deltas.training_set", "country") in {(str(a.node), a.column) for a in answer.affected}
    later = impact(linked, TableRef("deltas", "users"), "country", as_of=parse_time("2100-01-01"))
    assert later.affected == ()  # the day-5 code change stopped reading users
