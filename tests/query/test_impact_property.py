"""Property: a column's impact is always within the downstream lineage of its table."""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from temporal_lineage.config import load_settings
from temporal_lineage.ingest import ingest_payload
from temporal_lineage.model import TableRef
from temporal_lineage.query.impact import impact
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.store import open_store
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time, now

from .scenario import dataset, event
from .test_impact import column_facet

TABLES = ["t0", "t1", "t2", "t3", "t4"]
COLUMNS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("prop")
    for name in TABLES:
        write_deltalake(root / "delta" / name, pa.table({c: pa.array([1]) for c in COLUMNS}))
    (root / "lineage.yaml").write_text("sources:\n  - {name: d, format: delta, root: delta}\n")
    return root


JOB = st.tuples(
    st.lists(st.sampled_from(TABLES[:-1]), min_size=1, max_size=2, unique=True),
    st.sampled_from(TABLES[1:]),
    st.lists(st.tuples(st.sampled_from(COLUMNS), st.sampled_from(COLUMNS)), min_size=1, max_size=4),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    jobs=st.lists(JOB, min_size=1, max_size=6),
    root=st.sampled_from(TABLES),
    column=st.sampled_from(COLUMNS),
)
def test_impact_is_within_the_downstream_closure(
    tables: Path, jobs: list[tuple[list[str], str, list[tuple[str, str]]]], root: str, column: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/s.db")
        try:
            sync(store, load_settings(tables / "lineage.yaml"))
            start = now()  # after the tables exist: a run reads what is there
            asked = start + timedelta(seconds=len(jobs) + 1)
            lines = []
            direct: set[tuple[str, str]] = set()  # consumers of root.column, by construction
            for index, (inputs, output, pairs) in enumerate(jobs):
                inputs = [i for i in inputs if i != output] or [
                    TABLES[0] if output != TABLES[0] else TABLES[1]
                ]
                run, at = str(uuid.uuid4()), start + timedelta(seconds=index)
                out = dataset("d", output)
                mapping: dict[str, list[str]] = {}
                for source_column, target_column in pairs:
                    mapping.setdefault(target_column, []).append(source_column)
                out["facets"].update(column_facet("d", inputs[0], mapping))
                if inputs[0] == root and output != root:
                    direct |= {(f"d.{output}", t) for s, t in pairs if s == column}
                ins = [dataset("d", name) for name in inputs]
                lines.append(event("START", run, f"job{index}", at, inputs=ins))
                lines.append(
                    event(
                        "COMPLETE",
                        run,
                        f"job{index}",
                        at + timedelta(milliseconds=500),
                        inputs=ins,
                        outputs=[out],
                    )
                )
            assert (
                ingest_payload(store, "\n".join(json.dumps(x) for x in lines), origin="p").rejected
                == []
            )
            ref = TableRef("d", root)
            affected = impact(store, ref, column, as_of=asked, depth=10).affected
            closure = lineage(store, ref, asked, direction=Direction.DOWNSTREAM, depth=10)
            reachable = {str(n.node) for n in closure.nodes}
            assert {str(a.node) for a in affected} <= reachable, format_time(asked)
            assert direct <= {(str(a.node), a.column) for a in affected}
        finally:
            store.close()
