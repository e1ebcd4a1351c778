"""Lineage and provenance as of a time, on both databases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli
from temporal_lineage.model import EvidenceKind, TableRef
from temporal_lineage.query import shapes
from temporal_lineage.query.diff import Side, diff
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.query.provenance import provenance
from temporal_lineage.store import Store
from temporal_lineage.times import now

from .scenario import SECOND, Pipeline, dataset, event, new_run


@pytest.fixture
def pipe(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(tmp_path, store)


def edges(graph: object) -> set[tuple[str, str, str]]:
    return {(str(e.source), str(e.target), e.job.name) for e in graph.edges}  # type: ignore[attr-defined]


def build(pipe: Pipeline) -> dict[str, object]:
    """raw -> (clean) -> features -> (train) -> model_input; train v2 drops `extra` as input."""
    ingest, clean, train, train2 = new_run(), new_run(), new_run(), new_run()
    _, t_raw = pipe.write("raw", 1, run_id=ingest)
    pipe.write("extra", 1)
    time.sleep(0.01)
    _, t_feat = pipe.write("features", 1, run_id=clean)
    time.sleep(0.01)
    _, t_model = pipe.write("model_input", 1, run_id=train)
    time.sleep(0.05)
    change = now()
    time.sleep(0.05)
    _, t_model2 = pipe.write("model_input", 2, run_id=train2)
    pipe.sync()
    raw, feat, model, extra = (dataset("d", n) for n in ("raw", "features", "model_input", "extra"))
    pipe.send(
        event("START", ingest, "ingest", t_raw - SECOND, inputs=[dataset("kafka", "events")]),
        event("COMPLETE", ingest, "ingest", t_raw + SECOND / 1000, outputs=[raw]),
        event("START", clean, "clean", t_feat - SECOND / 1000, inputs=[raw]),
        event("COMPLETE", clean, "clean", t_feat + SECOND / 1000, outputs=[feat]),
        event(
            "START",
            train,
            "train",
            t_model - SECOND / 1000,
            inputs=[feat, extra],
            code_version="aaa",
        ),
        event(
            "COMPLETE", train, "train", t_model + SECOND / 1000, outputs=[model], code_version="aaa"
        ),
        event(
            "START", train2, "train", t_model2 - SECOND / 1000, inputs=[feat], code_version="bbb"
        ),
        event(
            "COMPLETE",
            train2,
            "train",
            t_model2 + SECOND / 1000,
            outputs=[model],
            code_version="bbb",
        ),
    )
    return {"change": change, "t_model": t_model, "t_model2": t_model2, "train": train}


def test_upstream_lineage_and_the_edge_that_ends_with_a_code_change(pipe: Pipeline) -> None:
    facts = build(pipe)
    root = TableRef("d", "model_input")
    before = lineage(pipe.store, root, facts["change"], depth=5)  # type: ignore[arg-type]
    assert edges(before) == {
        ("d.features", "d.model_input", "train"),
        ("d.extra", "d.model_input", "train"),
        ("d.raw", "d.features", "clean"),
        ("kafka/events", "d.raw", "ingest"),
    }
    after = lineage(pipe.store, root, now())
    assert ("d.extra", "d.model_input", "train") not in edges(after)
    assert ("d.features", "d.model_input", "train") in edges(after)
    shallow = lineage(pipe.store, root, now(), depth=1)
    assert edges(shallow) == {("d.features", "d.model_input", "train")}
    nodes = {str(n.node): n for n in before.nodes}
    assert nodes["kafka/events"].snapshot is None and nodes["kafka/events"].node.table is None
    assert all(e.evidence[0].kind is EvidenceKind.RUN_EVENT for e in before.edges)


def test_downstream_and_both(pipe: Pipeline) -> None:
    build(pipe)
    down = lineage(pipe.store, TableRef("d", "raw"), now(), direction=Direction.DOWNSTREAM)
    assert edges(down) == {
        ("d.raw", "d.features", "clean"),
        ("d.features", "d.model_input", "train"),
    }
    both = lineage(pipe.store, TableRef("d", "features"), now(), direction=Direction.BOTH, depth=1)
    assert edges(both) == {
        ("d.raw", "d.features", "clean"),
        ("d.features", "d.model_input", "train"),
    }


def test_provenance_is_the_snapshot_closure(pipe: Pipeline) -> None:
    facts = build(pipe)
    graph = provenance(pipe.store, TableRef("d", "model_input"), facts["t_model"])  # type: ignore[arg-type]
    document = shapes.provenance_json(graph)
    nodes = {(n["table"], n["snapshot"]): n for n in document["nodes"]}
    assert set(nodes) == {
        ("d.model_input", 0),
        ("d.features", 0),
        ("d.extra", 0),
        ("d.raw", 0),
        ("kafka/events", None),
    }
    top = nodes[("d.model_input", 0)]
    assert top["run"] == facts["train"] and top["job"] == "tests/train"
    assert top["code_version"] == "aaa" and top["evidence"][0]["kind"] == "commit_property"
    kinds = {
        (e["from_table"], e["to_table"]): e["evidence"][0]["kind"]
        for e in document["edges"]
        if e["evidence"]
    }
    # Inputs read without a version are the input's head at the run's start.
    assert kinds[("d.features", "d.model_input")] == "inferred"


def test_diff_names_the_code_change_and_the_dropped_input(pipe: Pipeline) -> None:
    facts = build(pipe)
    typed = diff(pipe.store, TableRef("d", "model_input"), facts["t_model"], now())  # type: ignore[arg-type]
    assert typed.root is not None and (typed.root.from_snapshot, typed.root.to_snapshot) == (0, 1)
    code = {c.table: c for c in typed.code}["d.model_input"]
    assert code.changed and code.from_run is not None and code.to_run is not None
    assert (code.from_run.code_version, code.to_run.code_version) == ("aaa", "bbb")
    assert {u.table: u.side for u in typed.upstream}["d.extra"] is Side.FROM
    answer = shapes.diff_json(typed)
    assert answer["root"]["from_snapshot"] == 0 and answer["root"]["to_snapshot"] == 1
    changed = {c["table"]: c for c in answer["code"]}
    assert changed["d.model_input"]["from_code_version"] == "aaa"
    assert changed["d.model_input"]["to_code_version"] == "bbb"
    assert {u["table"]: u["in"] for u in answer["upstream"]}["d.extra"] == "from"


def test_cli_lineage_formats(pipe: Pipeline) -> None:
    build(pipe)
    base = [
        "--config",
        str(pipe.root / "lineage.yaml"),
        "--store",
        pipe.store.engine.url.render_as_string(hide_password=False),
    ]
    args = ["lineage", "d.model_input", "--as-of", "2100-01-01", *base]
    answer = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert set(answer) >= {"root", "as_of", "known_at", "nodes", "edges"}
    assert set(answer["edges"][0]) >= {"from", "to", "job", "run", "evidence"}
    dot = CliRunner().invoke(cli, [*args, "--format", "dot"]).stdout
    assert dot.startswith("digraph") and '"d.features" -> "d.model_input"' in dot
    mermaid = CliRunner().invoke(cli, [*args, "--format", "mermaid"]).stdout
    assert mermaid.startswith("flowchart LR") and "-->|" in mermaid
    snaps = json.loads(
        CliRunner().invoke(cli, ["snapshots", "d.model_input", *base, "--format", "json"]).stdout
    )
    assert [s["evidence"][0]["kind"] for s in snaps] == ["commit_property", "commit_property"]


def test_cli_audit_html_and_json(pipe: Pipeline, tmp_path: Path) -> None:
    build(pipe)
    base = [
        "--config",
        str(pipe.root / "lineage.yaml"),
        "--store",
        pipe.store.engine.url.render_as_string(hide_password=False),
    ]
    report = tmp_path / "report.html"
    done = CliRunner().invoke(
        cli, ["audit", "d.model_input", "--as-of", "2100-01-01", "-o", str(report), *base]
    )
    assert done.exit_code == 0, done.stderr
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "d.features" in page
    assert "commit_property" in page  # how each snapshot's producing run is known
    answer = json.loads(
        CliRunner()
        .invoke(cli, ["audit", "d.model_input", "--as-of", "2100-01-01", "--format", "json", *base])
        .stdout
    )
    assert answer["summary"]["evidence"]["inferred"] >= 1  # inputs read without a version
    assert {n["table"] for n in answer["provenance"]["nodes"]} >= {"d.model_input", "d.features"}


def test_cli_reproduce_then_verify(pipe: Pipeline, tmp_path: Path) -> None:
    facts = build(pipe)
    base = [
        "--config",
        str(pipe.root / "lineage.yaml"),
        "--store",
        pipe.store.engine.url.render_as_string(hide_password=False),
    ]
    manifest = tmp_path / "manifest.json"
    at = shapes.format_time(facts["t_model"])  # type: ignore[arg-type]
    done = CliRunner().invoke(
        cli, ["reproduce", "d.model_input", "--as-of", at, "-o", str(manifest), *base]
    )
    assert done.exit_code == 0, done.stderr
    document = json.loads(manifest.read_text())
    assert {(e["table"], e["snapshot"]) for e in document["tables"]} == {
        ("d.model_input", 0),
        ("d.features", 0),
        ("d.extra", 0),
        ("d.raw", 0),
    }
    assert all(e["row_count"] == 1 and e["fingerprint"] for e in document["tables"])
    checked = CliRunner().invoke(cli, ["verify", str(manifest), *base, "--format", "json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"] is True
    from temporal_lineage.query.reproduce import load

    frames = load(document)
    assert frames["d.model_input"]["v"].to_list() == [1]
