"""Building the source a ``SourceConfig`` describes."""

from __future__ import annotations

from temporal_lineage.config import SourceConfig
from temporal_lineage.model import Format
from temporal_lineage.sources.base import Source
from temporal_lineage.sources.delta import DeltaSource
from temporal_lineage.sources.iceberg import IcebergCatalogSource, IcebergRootSource


def build_source(config: SourceConfig) -> Source:
    """The source for one configured entry (nothing is contacted until it is polled)."""
    source = _build(config)
    source.run_id_keys = config.run_id_keys
    return source


def _build(config: SourceConfig) -> Source:
    if config.format is Format.DELTA:
        return DeltaSource(
            config.name,
            root=config.root,
            tables=config.tables,
            storage_options=config.storage_options,
        )
    if config.catalog is not None:
        return IcebergCatalogSource(config.name, config.catalog, config.namespaces)
    assert config.root is not None
    return IcebergRootSource(config.name, config.root, config.storage_options)
