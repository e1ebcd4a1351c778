"""Building the source a ``SourceConfig`` describes."""

from __future__ import annotations

from temporal_lineage.config import SourceConfig
from temporal_lineage.model import Format
from temporal_lineage.sources.base import Source
from temporal_lineage.sources.delta import DeltaSource
from temporal_lineage.sources.iceberg import (
    IcebergCatalogSource,
    IcebergRootSource,
    file_io_properties,
)


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


_FILE_IO_PREFIXES = ("s3.", "gcs.", "adls.", "client.", "hdfs.", "py-io-impl")


def read_options(config: SourceConfig) -> dict[str, str]:
    """The options to read the source's data files with (``reproduce``, ``verify``).

    A catalog source reads through its catalog's FileIO keys (``s3.endpoint``, ...; with the
    region filled in as sync does); a root or table list through its ``storage_options``.
    """
    if config.catalog is None:
        return dict(config.storage_options)
    io = {k: v for k, v in config.catalog.items() if k.startswith(_FILE_IO_PREFIXES)}
    return {**file_io_properties(io), **config.storage_options}
