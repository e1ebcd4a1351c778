"""Column impact by field identity: a rename upstream keeps the edges (both databases)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from temporal_lineage.errors import ColumnNotFound
from temporal_lineage.model import TableRef
from temporal_lineage.query.impact import impact
from temporal_lineage.store import Store
from temporal_lineage.times import from_millis, now
from warehouse_fixtures.delta_log import latest_metadata, rename_column_actions, write_commit

from .scenario import SECOND, Pipeline, dataset, event, new_run


def column_facet(namespace: str, name: str, mapping: dict[str, list[str]]) -> dict[str, Any]:
    """A columnLineage facet: output field -> input fields of one input dataset."""
    return {
        "columnLineage": {
            "_producer": "https://example.com/tests",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": {
                out: {
                    "inputFields": [
                        {
                            "namespace": namespace,
                            "name": name,
                            "field": field,
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                        for field in fields
                    ]
                }
                for out, fields in mapping.items()
            },
        }
    }


def mapped_table(path: Path) -> datetime:
    from deltalake import DeltaTable, write_deltalake

    write_deltalake(
        path,
        pa.table({"amount": pa.array([1.0]), "user": pa.array(["a"])}),
        configuration={"delta.columnMapping.mode": "name"},
    )
    return from_millis(DeltaTable(path).history(1)[0]["timestamp"])


def rename(path: Path, old: str, new: str) -> datetime:
    from deltalake import DeltaTable

    version = DeltaTable(path).version()
    ms = int(time.time() * 1000)
    write_commit(
        path,
        version + 1,
        rename_column_actions(latest_metadata(path, version), old, new, version, ms),
    )
    return from_millis(ms)


@pytest.fixture
def pipe(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(tmp_path, store)


def test_impact_follows_field_ids_through_a_rename(pipe: Pipeline) -> None:
    mapped_table(pipe.path("raw"))
    features_at = mapped_table(pipe.path("features"))
    first, second = new_run(), new_run()
    time.sleep(0.01)
    renamed_at = rename(pipe.path("raw"), "amount", "total")
    time.sleep(0.01)
    _, model_at = pipe.write("model", 1)
    pipe.sync()
    raw = ("d", "raw")
    features_out = dataset("d", "features")
    features_out["facets"].update(column_facet(*raw, {"amount": ["amount"], "user": ["user"]}))
    model_out = dataset("d", "model")
    model_out["facets"].update(column_facet("d", "features", {"v": ["amount"]}))
    pipe.send(
        event("START", first, "features", features_at - SECOND, inputs=[dataset(*raw)]),
        event("COMPLETE", first, "features", features_at + SECOND / 1000, outputs=[features_out]),
        event(
            "START", second, "model", model_at - SECOND / 1000, inputs=[dataset("d", "features")]
        ),
        event("COMPLETE", second, "model", model_at + SECOND / 1000, outputs=[model_out]),
    )
    # Asked after the rename, by the new name: the edge recorded under the old name holds.
    answer = impact(pipe.store, TableRef("d", "raw"), "total", as_of=now())
    got = {(str(a.node), a.column, a.depth, a.job.name) for a in answer.affected}
    assert got == {("d.features", "amount", 1, "features"), ("d.model", "v", 2, "model")}
    assert answer.field_id is not None
    before = impact(pipe.store, TableRef("d", "raw"), "amount", as_of=renamed_at - SECOND / 1000)
    assert {str(a.node) for a in before.affected} == {"d.features"}  # model had not run yet
    shallow = impact(pipe.store, TableRef("d", "raw"), "total", depth=1)
    assert {str(a.node) for a in shallow.affected} == {"d.features"}
    assert impact(pipe.store, TableRef("d", "raw"), "user").affected[0].column == "user"
    with pytest.raises(ColumnNotFound):
        impact(pipe.store, TableRef("d", "raw"), "amount", as_of=now())


def test_propagation_pending_then_broken_then_adopted(pipe: Pipeline) -> None:
    from temporal_lineage.query.propagation import propagation

    mapped_table(pipe.path("raw"))
    features_at = mapped_table(pipe.path("features"))
    first, failed, fixed = new_run(), new_run(), new_run()
    out = dataset("d", "features")
    out["facets"].update(column_facet("d", "raw", {"amount": ["amount"]}))
    pipe.sync()
    pipe.send(
        event(
            "START", first, "features", features_at - SECOND / 1000, inputs=[dataset("d", "raw")]
        ),
        event("COMPLETE", first, "features", features_at + SECOND / 1000, outputs=[out]),
    )
    time.sleep(0.01)
    renamed_at = rename(pipe.path("raw"), "amount", "total")
    pipe.sync()

    def status(at: datetime) -> list[tuple[str, str, str]]:
        found = propagation(pipe.store, TableRef("d", "raw"), as_of=at)
        return [
            (p.change.kind.value, str(d.affected.node), d.status)
            for p in found
            for d in p.downstream
        ]

    assert status(now()) == [("renamed", "d.features", "pending")]
    fail_at = renamed_at + SECOND / 100
    pipe.send(
        event("START", failed, "features", fail_at, inputs=[dataset("d", "raw")]),
        event("FAIL", failed, "features", fail_at + SECOND / 1000),
    )
    fixed_out = dataset("d", "features")
    fixed_out["facets"].update(column_facet("d", "raw", {"amount": ["total"]}))
    fix_at = renamed_at + SECOND / 10
    pipe.send(
        event("START", fixed, "features", fix_at, inputs=[dataset("d", "raw")]),
        event("COMPLETE", fixed, "features", fix_at + SECOND / 1000, outputs=[fixed_out]),
    )
    assert status(fail_at + SECOND / 500) == [("renamed", "d.features", "broken")]
    assert status(fix_at + SECOND / 500) == [("renamed", "d.features", "adopted")]


def test_what_if(pipe: Pipeline) -> None:
    from temporal_lineage.query.whatif import ProposedChange, judge

    mapped_table(pipe.path("raw"))
    features_at = mapped_table(pipe.path("features"))
    run = new_run()
    out = dataset("d", "features")
    out["facets"].update(column_facet("d", "raw", {"amount": ["amount"]}))
    pipe.sync()
    pipe.send(
        event("START", run, "features", features_at - SECOND / 1000, inputs=[dataset("d", "raw")]),
        event("COMPLETE", run, "features", features_at + SECOND / 1000, outputs=[out]),
    )
    answer = impact(pipe.store, TableRef("d", "raw"), "amount")
    assert answer.column_type == "double"

    def verdict(change: str, names: bool | None) -> bool | None:
        ((_, found),) = judge(
            answer, ProposedChange.parse(change), answer.column_type, lambda *_: names
        )
        return found.breaks

    assert verdict("rename", True) is True  # its SQL names the column
    assert verdict("rename", False) is False  # reads it via *
    assert verdict("rename", None) is None  # no SQL: cannot tell
    assert verdict("drop", None) is True
    assert verdict("type:float", None) is True  # narrowing
    assert verdict("type:decimal(10,2)", None) is True
    widened = judge(answer, ProposedChange("type", "double"), "float")
    assert widened[0][1].breaks is False


def test_sync_flags_schema_changes_that_have_consumers(pipe: Pipeline) -> None:
    import json

    from click.testing import CliRunner

    from temporal_lineage.cli.main import cli

    mapped_table(pipe.path("raw"))
    features_at = mapped_table(pipe.path("features"))
    run = new_run()
    out = dataset("d", "features")
    out["facets"].update(column_facet("d", "raw", {"amount": ["amount"], "user": ["amount"]}))
    pipe.sync()
    pipe.send(
        event("START", run, "features", features_at - SECOND / 1000, inputs=[dataset("d", "raw")]),
        event("COMPLETE", run, "features", features_at + SECOND / 1000, outputs=[out]),
    )
    time.sleep(0.01)
    rename(pipe.path("raw"), "amount", "total")
    url = pipe.store.engine.url.render_as_string(hide_password=False)
    args = ["sync", "--config", str(pipe.root / "lineage.yaml"), "--store", url]
    answer = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    (flag,) = answer["schema_changes"]
    assert (flag["table"], flag["kind"], flag["old_path"], flag["path"]) == (
        "d.raw",
        "renamed",
        "amount",
        "total",
    )
    assert (flag["affected_columns"], flag["affected_tables"]) == (2, 1)
    impact_answer = json.loads(
        CliRunner()
        .invoke(
            cli,
            ["impact", "d.raw", "total", "--change", "drop", "--store", url, "--format", "json"],
        )
        .stdout
    )
    assert {a["column"] for a in impact_answer["affected"]} == {"amount", "user"}
    assert all(a["breaks"] is True for a in impact_answer["affected"])
    history = json.loads(
        CliRunner().invoke(cli, ["propagation", "d.raw", "--store", url, "--format", "json"]).stdout
    )
    assert [d["status"] for d in history[0]["downstream"]] == ["pending", "pending"]


def test_column_lineage_from_the_jobs_sql(pipe: Pipeline) -> None:
    """No facet: the SQL facet is parsed against the inputs' schemas as of the run."""
    _, raw_at = pipe.write("raw", 1)
    time.sleep(0.01)
    _, out_at = pipe.write("features", 1)
    pipe.sync()
    run = new_run()
    complete = event(
        "COMPLETE", run, "features", out_at + SECOND / 1000, outputs=[dataset("d", "features")]
    )
    complete["inputs"] = [dataset("d", "raw")]
    complete["job"]["facets"]["sql"] = {
        "_producer": "https://example.com/tests",
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json",
        "query": "SELECT v AS v, v * 2 AS doubled FROM raw WHERE v > 0",
    }
    pipe.send(event("START", run, "features", raw_at + SECOND / 1000), complete)
    answer = impact(pipe.store, TableRef("d", "raw"), "v")
    got = {(a.column, a.kind, a.origin) for a in answer.affected}
    assert ("v", "DIRECT", "sql") in got and ("doubled", "DIRECT", "sql") in got
