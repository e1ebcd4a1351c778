"""Declared column lineage goes out as the spec's ``columnLineage`` facet of COMPLETE events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient

from temporal_lineage.instrument import PRODUCER, ColumnInput, JobRun
from temporal_lineage.instrument.columns import column_input, output_columns
from tests.instrument.conftest import read_events
from tests.instrument.openlineage_spec import checked_facet_schemas, spec_errors

FEATURES = ("lake", "features.user_features")
USERS = ("hive://metastore:9083", "crm.users")
TRAINING = ("file", "/wh/delta/training_set")
COLUMN_LINEAGE_URL = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
    "#/$defs/ColumnLineageDatasetFacet"
)


class _Snapshot:
    snapshot_id = 42


class _IcebergTable:
    def current_snapshot(self) -> _Snapshot:
        return _Snapshot()


class _DeltaTable:
    def version(self) -> int:
        return 7


def _lineage(event: dict[str, Any], name: str) -> dict[str, Any] | None:
    (dataset,) = [d for d in event["outputs"] if d["name"] == name]
    facet: dict[str, Any] | None = dataset["facets"].get("columnLineage")
    return facet


def test_complete_carries_the_declared_column_lineage(
    client: OpenLineageClient, events_file: Path
) -> None:
    with JobRun(client, namespace="warehouse", job="build-training-set", outputs=[TRAINING]) as run:
        run.read(FEATURES, 12)
        run.read(USERS)
        run.wrote(
            TRAINING,
            4,
            columns={
                "user_id": [
                    (*FEATURES, "user_id"),
                    (*FEATURES, "user_id", "INDIRECT", "JOIN"),
                    (*USERS, "user_id", "INDIRECT", "JOIN"),
                ],
                "total_amount": [(*FEATURES, "total_amount", "DIRECT", "IDENTITY")],
                "label": [
                    ColumnInput.of(FEATURES, "total_amount", "DIRECT", "TRANSFORMATION"),
                    ColumnInput.of(
                        FEATURES,
                        "legacy_score",
                        "DIRECT",
                        "TRANSFORMATION",
                        description="legacy_score > 60.0",
                    ),
                ],
                "country": [(*USERS, "country", "DIRECT")],
            },
        )
    start, complete = read_events(events_file)
    assert _lineage(start, TRAINING[1]) is None  # START: the output, but nothing written yet
    facet = _lineage(complete, TRAINING[1])
    assert facet is not None
    assert facet["_producer"] == PRODUCER and facet["_schemaURL"] == COLUMN_LINEAGE_URL
    assert facet["fields"]["user_id"] == {
        "inputFields": [
            {
                "namespace": "lake",
                "name": "features.user_features",
                "field": "user_id",
                "transformations": [
                    {"type": "DIRECT", "subtype": "IDENTITY"},
                    {"type": "INDIRECT", "subtype": "JOIN"},
                ],
            },
            {
                "namespace": "hive://metastore:9083",
                "name": "crm.users",
                "field": "user_id",
                "transformations": [{"type": "INDIRECT", "subtype": "JOIN"}],
            },
        ]
    }
    label = facet["fields"]["label"]["inputFields"]
    assert [(f["field"], f["transformations"]) for f in label] == [
        ("total_amount", [{"type": "DIRECT", "subtype": "TRANSFORMATION"}]),
        (
            "legacy_score",
            [
                {
                    "type": "DIRECT",
                    "subtype": "TRANSFORMATION",
                    "description": "legacy_score > 60.0",
                }
            ],
        ),
    ]
    # a 4-tuple has no subtype
    assert facet["fields"]["country"]["inputFields"][0]["transformations"] == [{"type": "DIRECT"}]
    assert set(facet["fields"]) == {"user_id", "total_amount", "label", "country"}
    for event in (start, complete):
        assert spec_errors(event) == []
    assert "columnLineage" in checked_facet_schemas(complete)
    (output,) = run.outputs
    assert [c.field for c in output.columns] == ["user_id", "total_amount", "label", "country"]


def test_iceberg_and_delta_writes_take_columns(
    client: OpenLineageClient, events_file: Path
) -> None:
    with JobRun(client, namespace="w", job="j") as run:
        snapshot = run.wrote_iceberg(
            _IcebergTable(),
            dataset=FEATURES,
            columns={"amount_sum": [("lake", "raw.events", "amount", "DIRECT", "AGGREGATION")]},
        )
        version = run.wrote_delta(
            _DeltaTable(), dataset=TRAINING, columns={"total_amount": [(*FEATURES, "amount_sum")]}
        )
    assert (snapshot, version) == (42, 7)
    complete = read_events(events_file)[-1]
    features = _lineage(complete, FEATURES[1])
    training = _lineage(complete, TRAINING[1])
    assert features is not None and training is not None
    (source,) = features["fields"]["amount_sum"]["inputFields"]
    assert (source["name"], source["field"]) == ("raw.events", "amount")
    assert source["transformations"] == [{"type": "DIRECT", "subtype": "AGGREGATION"}]
    (source,) = training["fields"]["total_amount"]["inputFields"]
    assert source["transformations"] == [{"type": "DIRECT", "subtype": "IDENTITY"}]
    versions = {d["name"]: d["facets"]["version"]["datasetVersion"] for d in complete["outputs"]}
    assert versions == {FEATURES[1]: "42", TRAINING[1]: "7"}
    assert spec_errors(complete) == []


def test_columns_are_optional_and_merge_per_output_column(
    client: OpenLineageClient, events_file: Path
) -> None:
    with JobRun(client, namespace="w", job="j", outputs=[TRAINING]) as run:
        run.wrote(("lake", "raw.events"), 3)  # no columns: no facet
        run.wrote(TRAINING, columns={"a": [(*FEATURES, "x")], "b": [(*FEATURES, "y")]})
        run.wrote(TRAINING, 5, columns={"b": [(*FEATURES, "z")]})  # b replaced, a kept
        run.wrote(TRAINING)  # nothing new: version and columns kept
    complete = read_events(events_file)[-1]
    assert _lineage(complete, "raw.events") is None
    facet = _lineage(complete, TRAINING[1])
    assert facet is not None
    fields = {name: [f["field"] for f in v["inputFields"]] for name, v in facet["fields"].items()}
    assert fields == {"a": ["x"], "b": ["z"]}
    (output,) = [o for o in run.outputs if o.dataset.name == TRAINING[1]]
    assert output.version == "5"


def test_failed_and_aborted_runs_send_no_column_lineage(
    client: OpenLineageClient, events_file: Path
) -> None:
    with pytest.raises(RuntimeError):
        with JobRun(client, namespace="w", job="j") as run:
            run.wrote(TRAINING, columns={"a": [(*FEATURES, "x")]})
            raise RuntimeError("commit rejected")
    with pytest.raises(KeyboardInterrupt):
        with JobRun(client, namespace="w", job="j") as run:
            run.wrote(TRAINING, columns={"a": [(*FEATURES, "x")]})
            raise KeyboardInterrupt
    events = read_events(events_file)
    assert [e["eventType"] for e in events] == ["START", "FAIL", "START", "ABORT"]
    for event in events:
        assert all("columnLineage" not in d["facets"] for d in event["outputs"])


def test_input_columns_are_checked() -> None:
    assert column_input((*FEATURES, "x", "indirect", "group_by")) == ColumnInput(
        "lake", "features.user_features", "x", "INDIRECT", "GROUP_BY"
    )
    assert column_input((*FEATURES, "x")).subtype == "IDENTITY"
    assert column_input((*FEATURES, "x", "DIRECT")).subtype is None
    assert column_input((*FEATURES, "x", "DIRECT", None)).subtype is None
    for bad, message in [
        ((*FEATURES, "x", "SIDEWAYS"), "DIRECT or INDIRECT"),
        ((*FEATURES, "x", "DIRECT", "JOIN"), "DIRECT transformations have subtypes"),
        ((*FEATURES, "x", "INDIRECT", "IDENTITY"), "INDIRECT transformations have subtypes"),
        (("lake", "", "x"), "needs a namespace, a name and a field"),
        ((*FEATURES, ""), "needs a namespace, a name and a field"),
        (FEATURES, "namespace, name, field"),
    ]:
        with pytest.raises(ValueError, match=message):
            column_input(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a list"):
        output_columns({"a": (*FEATURES, "x")})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="needs a name"):
        output_columns({"": [(*FEATURES, "x")]})


def test_a_bad_declaration_fails_at_the_call(client: OpenLineageClient, events_file: Path) -> None:
    with JobRun(client, namespace="w", job="j") as run:
        with pytest.raises(ValueError, match="DIRECT or INDIRECT"):
            run.wrote(TRAINING, 1, columns={"a": [(*FEATURES, "x", "COPY")]})
        assert run.outputs == ()
    assert [d for e in read_events(events_file) for d in e["outputs"]] == []


def test_the_spec_check_catches_a_broken_column_lineage_facet(
    client: OpenLineageClient, events_file: Path
) -> None:
    with JobRun(client, namespace="w", job="j") as run:
        run.wrote(TRAINING, 1, columns={"a": [(*FEATURES, "x")]})
    event = read_events(events_file)[-1]
    assert spec_errors(event) == []
    output = event["outputs"][0]
    facet = output["facets"]["columnLineage"]
    (source,) = facet["fields"]["a"]["inputFields"]
    broken_source = {k: v for k, v in source.items() if k != "field"}
    broken_facet = {**facet, "fields": {"a": {"inputFields": [broken_source]}}}
    broken = {**event, "outputs": [{**output, "facets": {"columnLineage": broken_facet}}]}
    assert any("field" in e for e in spec_errors(broken))
    no_type = {**source, "transformations": [{"subtype": "IDENTITY"}]}
    broken_facet = {**facet, "fields": {"a": {"inputFields": [no_type]}}}
    broken = {**event, "outputs": [{**output, "facets": {"columnLineage": broken_facet}}]}
    assert any("type" in e for e in spec_errors(broken))
