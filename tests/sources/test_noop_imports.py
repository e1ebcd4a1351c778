"""A poll that finds nothing new imports none of the format libraries.

Real tables (a pyiceberg SQL catalog, the same tables listed as a Hadoop-layout root, a
Delta root) are synced in a fresh interpreter, then re-synced in another one: the catalog's
pointers are read with one SQL query, the folders with stats and local metadata as files, so
pyiceberg, deltalake, pyarrow and polars stay out of both (and of a sync that reads a new
commit).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from deltalake import write_deltalake
from pyiceberg.catalog.sql import SqlCatalog

HEAVY = ("pyiceberg", "deltalake", "pyarrow", "polars")

_CHILD = """
import json, sys
from temporal_lineage.config import load_settings
from temporal_lineage.store import open_store
from temporal_lineage.sync import sync

settings = load_settings(sys.argv[1])
store = open_store(settings.store_url)
try:
    report = sync(store, settings)
finally:
    store.close()
print(json.dumps({
    "tables": report.tables,
    "new_snapshots": report.new_snapshots,
    "errors": [e.error for e in report.errors],
    "heavy": sorted(m for m in sys.argv[2:] if m in sys.modules),
}))
"""


def _rows(start: int) -> pa.Table:
    return pa.table({"id": pa.array([start, start + 1], pa.int64()), "name": ["a", "b"]})


def _sync_in_child(config: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(config), *HEAVY],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture()
def warehouse(tmp_path: Path) -> tuple[Path, SqlCatalog]:
    """Two catalog tables (also a root), two Delta tables, and a config listing all three."""
    iceberg_root = tmp_path / "iceberg"
    iceberg_root.mkdir()
    uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalog = SqlCatalog("lake", uri=uri, warehouse=f"file://{tmp_path / 'wh'}")
    catalog.create_namespace("ns")
    for name in ("a", "b"):
        table = catalog.create_table(
            f"ns.{name}", schema=_rows(0).schema, location=f"file://{iceberg_root / name}"
        )
        table.append(_rows(0))
        table.append(_rows(2))
    for name in ("x", "y"):
        for start in (0, 2):
            write_deltalake(str(tmp_path / "delta" / name), _rows(start), mode="append")
    config = tmp_path / "lineage.yaml"
    sources = [
        {"name": "lake", "format": "iceberg", "catalog": {"type": "sql", "uri": uri}},
        {"name": "ice", "format": "iceberg", "root": str(iceberg_root)},
        {"name": "dl", "format": "delta", "root": str(tmp_path / "delta")},
    ]
    config.write_text(
        yaml.safe_dump({"store": f"sqlite:///{tmp_path / 'lineage.db'}", "sources": sources}),
        encoding="utf-8",
    )
    return config, catalog


def test_a_noop_resync_imports_no_format_library(warehouse: tuple[Path, SqlCatalog]) -> None:
    config, catalog = warehouse
    first = _sync_in_child(config)
    assert first["errors"] == [] and first["tables"] == 6
    assert first["new_snapshots"] == 12
    # Local metadata is read as files: not even the first sync needs a format library.
    assert first["heavy"] == []

    again = _sync_in_child(config)
    assert again == {"tables": 6, "new_snapshots": 0, "errors": [], "heavy": []}

    # A commit to one catalog table is seen (by the catalog and the root), and read.
    catalog.load_table("ns.a").append(_rows(4))
    changed = _sync_in_child(config)
    assert changed["errors"] == [] and changed["new_snapshots"] == 2
    assert changed["heavy"] == []
    catalog.engine.dispose()


def test_a_missing_catalog_database_is_one_line_unavailable(tmp_path: Path) -> None:
    """Read directly, an unreachable catalog database still gives pyiceberg's one-line error."""
    from temporal_lineage.errors import SourceUnavailable
    from temporal_lineage.sources.iceberg import IcebergCatalogSource

    uri = f"sqlite:///{tmp_path / 'missing' / 'catalog.db'}"
    source = IcebergCatalogSource("lake", {"type": "sql", "uri": uri}, None)
    with pytest.raises(SourceUnavailable) as raised:
        source.discover()
    source.close()
    assert str(raised.value) == (
        "source lake: cannot load catalog: (sqlite3.OperationalError) unable to open database file"
    )


def test_a_catalog_password_stays_out_of_the_error() -> None:
    from temporal_lineage.errors import SourceUnavailable
    from temporal_lineage.sources.iceberg import IcebergCatalogSource

    uri = "postgresql+psycopg://tl:s3cret@127.0.0.1:1/catalog"
    source = IcebergCatalogSource("lake", {"type": "sql", "uri": uri}, None)
    with pytest.raises(SourceUnavailable) as raised:
        source.discover()
    source.close()
    assert "cannot load catalog" in str(raised.value)
    assert "s3cret" not in str(raised.value) and "\n" not in str(raised.value)


def test_catalog_name_and_namespaces_are_respected(tmp_path: Path) -> None:
    """Two catalogs in one database, nested namespaces: each source lists its own, filtered."""
    from temporal_lineage.sources.iceberg import IcebergCatalogSource

    uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    lake = SqlCatalog("lake", uri=uri, warehouse=f"file://{tmp_path / 'wh'}")
    other = SqlCatalog("other", uri=uri, warehouse=f"file://{tmp_path / 'wh2'}")
    for namespace in ("sales", "sales.eu", "salesforce"):
        lake.create_namespace(namespace)
        lake.create_table(f"{namespace}.t", schema=_rows(0).schema).append(_rows(0))
    other.create_namespace("sales")
    other.create_table("sales.elsewhere", schema=_rows(0).schema)
    expected = {
        f"{n}.t": lake.load_table(f"{n}.t").metadata_location
        for n in ("sales", "sales.eu", "salesforce")
    }
    lake.engine.dispose()
    other.engine.dispose()

    everything = IcebergCatalogSource("lake", {"type": "sql", "uri": uri}, None)
    listed = everything.discover().tables
    assert {e.ref.identifier: e.pointer for e in listed} == expected
    everything.close()

    sales = IcebergCatalogSource("lake", {"uri": uri}, ("sales",))  # type inferred from uri
    assert [e.ref.identifier for e in sales.discover().tables] == ["sales.eu.t", "sales.t"]
    sales.close()
