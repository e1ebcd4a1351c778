"""Iceberg source: a pyiceberg catalog, or a root of Hadoop-layout table folders.

The only module that imports pyiceberg. History is read from the metadata JSON directly
(see ``iceberg_metadata``); the catalog is asked only where the current metadata file is,
and a SQL catalog not even that: its database is queried directly (``sql_catalog``), so a
poll that finds nothing new never imports pyiceberg.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from temporal_lineage.errors import InvalidMetadata, NotATable, SourceUnavailable, one_line
from temporal_lineage.model import Format, Skipped, TableRef, TableState
from temporal_lineage.sources.base import Capabilities, Discovery, Source, TableEntry
from temporal_lineage.sources.iceberg_metadata import IcebergCursor, table_state
from temporal_lineage.sources.sql_catalog import CatalogDatabase, query_pointers, sql_catalog_uri
from temporal_lineage.sources.storage import LocalStorage, Storage, local_path, storage_for

ICEBERG_CAPABILITIES = Capabilities(
    has_field_ids=True,
    has_schema_ids=True,
    has_branches=True,
    has_commit_properties=True,
    has_head_log=True,
)

_LOCAL = LocalStorage()
_VERSIONED = re.compile(r"^v(\d+)(?:\.gz)?\.metadata\.json$|^(\d+)-[^.]+(?:\.gz)?\.metadata\.json$")


@contextmanager
def _file_errors(ref: TableRef) -> Iterator[None]:
    """Map file-system errors to ours, naming the table."""
    try:
        yield
    except FileNotFoundError as exc:
        raise InvalidMetadata(f"{ref}: metadata file vanished: {exc.filename or exc}") from exc
    except (IsADirectoryError, ValueError) as exc:
        raise InvalidMetadata(f"{ref}: {one_line(exc)}") from exc
    except OSError as exc:  # the store answered with an error, or not at all
        raise SourceUnavailable(f"{ref}: cannot read metadata: {one_line(exc)}") from exc


def _read_local(path: str, limit: int | None) -> bytes:
    """A local metadata file's bytes (``file://`` or a plain path)."""
    return _LOCAL.read_bytes(local_path(path), limit)


@contextmanager
def _library_errors(ref: TableRef) -> Iterator[None]:
    """Map pyiceberg's errors (and the file system's) to ours, naming the table."""
    from pyiceberg.exceptions import NoSuchTableError, ValidationError

    try:
        with _file_errors(ref):
            yield
    except NoSuchTableError as exc:
        raise NotATable(f"{ref}: no longer in the catalog: {exc}") from exc
    except ValidationError as exc:
        raise InvalidMetadata(f"{ref}: {one_line(exc)}") from exc


def metadata_version(name: str) -> int | None:
    """The version number in a metadata file name (``v3.metadata.json``, ``00003-<uuid>...``).

    >>> metadata_version("v12.metadata.json"), metadata_version("00003-ab-cd.metadata.json")
    (12, 3)
    >>> metadata_version("v3.1.metadata.json") is None
    True
    """
    match = _VERSIONED.match(name)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def file_io_properties(
    properties: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The catalog's properties for its FileIO, with the S3 region filled in when needed.

    With a custom ``s3.endpoint`` (MinIO, Ceph, a test server) and no region, pyiceberg
    asks AWS itself which region the bucket is in: a call to the internet that fails (or
    finds somebody else's bucket) and costs seconds. The region then comes from
    ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else ``us-east-1``, as the AWS SDKs do.

    >>> file_io_properties({"s3.endpoint": "http://minio:9000"}, {})["s3.region"]
    'us-east-1'
    >>> "s3.region" in file_io_properties({"warehouse": "s3://b/wh"}, {"AWS_REGION": "eu-west-1"})
    False
    """
    env = os.environ if environ is None else environ
    found = dict(properties)
    has_region = any(found.get(k) for k in ("s3.region", "client.region"))
    if found.get("s3.endpoint") and not has_region:
        found["s3.region"] = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return found


class IcebergRootSource(Source):
    """Every folder below ``root`` holding ``metadata/*.metadata.json`` (Hadoop layout)."""

    format = Format.ICEBERG
    capabilities = ICEBERG_CAPABILITIES

    def __init__(self, name: str, root: str, storage_options: Mapping[str, str]) -> None:
        super().__init__(name)
        self.root = local_path(root)
        self.storage: Storage = storage_for(self.root, storage_options)

    def discover(self) -> Discovery:
        tables: list[TableEntry] = []
        skipped: list[Skipped] = []
        try:
            if not self.storage.is_dir(self.root):
                raise SourceUnavailable(f"source {self.name}: root not found: {self.root}")
            self._walk(self.root, (), tables, skipped)
        except OSError as exc:  # an unreachable object store, a folder we may not read
            raise SourceUnavailable(
                f"source {self.name}: cannot list {self.root}: {one_line(exc)}"
            ) from exc
        return Discovery(tuple(tables), tuple(skipped))

    def _walk(
        self,
        folder: str,
        parts: tuple[str, ...],
        tables: list[TableEntry],
        skipped: list[Skipped],
    ) -> None:
        if parts and self.storage.has_folder(folder, "metadata"):
            metadata_dir = self.storage.join(folder, "metadata")
            pointer = self.current_metadata(metadata_dir)
            if pointer is not None:
                ref = TableRef(self.name, ".".join(parts))
                tables.append(TableEntry(ref, folder, pointer))
                return
        entries = self.storage.list_dir(folder)
        found_before = len(tables)
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_dir and not entry.name.startswith((".", "_")):
                self._walk(
                    self.storage.join(folder, entry.name), (*parts, entry.name), tables, skipped
                )
        json_files = [e.name for e in entries if not e.is_dir and e.name.endswith(".json")]
        if parts and json_files and len(tables) == found_before:
            skipped.append(
                Skipped(
                    self.name,
                    folder,
                    f"not a table: {len(json_files)} JSON file(s) but no metadata/*.metadata.json",
                )
            )

    def current_metadata(self, metadata_dir: str) -> str | None:
        """The current metadata file: from a valid version hint, else the highest version."""
        for hint_name in ("version-hint.text", "version-hint.txt"):
            hint_path = self.storage.join(metadata_dir, hint_name)
            try:
                hint = self.storage.read_bytes(hint_path).decode("utf-8", "replace").strip()
            except (FileNotFoundError, IsADirectoryError):
                continue
            if hint.isdigit():
                version = int(hint)
                if self.storage.exists(
                    self.storage.join(metadata_dir, f"v{version}.metadata.json")
                ):
                    # A writer may have committed after updating the hint: probe forward.
                    while self.storage.exists(
                        self.storage.join(metadata_dir, f"v{version + 1}.metadata.json")
                    ):
                        version += 1
                    return self.storage.join(metadata_dir, f"v{version}.metadata.json")
        best: tuple[int, str] | None = None
        for entry in self.storage.list_dir(metadata_dir, ".metadata.json"):
            found = metadata_version(entry.name)
            if found is not None and not entry.is_dir and (best is None or found > best[0]):
                best = (found, entry.name)
        return self.storage.join(metadata_dir, best[1]) if best else None

    def has_changed(self, entry: TableEntry, cursor: str | None) -> bool:
        previous = IcebergCursor.decode(cursor)
        return previous is None or previous.location != entry.pointer

    def read(self, entry: TableEntry, cursor: str | None) -> TableState:
        assert entry.pointer is not None
        metadata_dir = (
            posixpath.dirname(entry.pointer)
            if "://" in entry.pointer
            else (entry.pointer.rsplit("/", 1)[0])
        )

        def read_older(path: str, limit: int | None) -> bytes | None:
            # Logged paths are absolute on the writer's machine: the files live beside the
            # current one.
            local = self.storage.join(metadata_dir, posixpath.basename(path))
            try:
                return self.storage.read_bytes(local, limit)
            except (FileNotFoundError, IsADirectoryError):
                return None
            except OSError as exc:  # not gone, unreachable: never date a schema by guess
                raise SourceUnavailable(
                    f"{entry.ref}: cannot read metadata: {one_line(exc)}"
                ) from exc

        with _file_errors(entry.ref):
            raw = self.storage.read_bytes(entry.pointer)
        state = table_state(entry.ref, raw, entry.pointer, read_older, IcebergCursor.decode(cursor))
        # The metadata's own location is where the writer put the table (often another
        # machine's path); the folder it was found in is where it is for this source.
        return replace(state, location=entry.location)


class IcebergCatalogSource(Source):
    """Any catalog ``pyiceberg.catalog.load_catalog`` accepts (sql, rest, glue, hive...)."""

    format = Format.ICEBERG
    capabilities = ICEBERG_CAPABILITIES

    def __init__(
        self, name: str, properties: Mapping[str, str], namespaces: tuple[str, ...] | None
    ) -> None:
        super().__init__(name)
        self.properties = dict(properties)
        self.namespaces = namespaces
        self._catalog: Any = None
        self._file_io: dict[str, Any] = {}
        uri = sql_catalog_uri(name, self.properties)
        self._database = CatalogDatabase(name, uri) if uri is not None else None

    @property
    def catalog(self) -> Any:
        """The pyiceberg catalog, created on first use and kept."""
        if self._catalog is None:
            from pyiceberg.catalog import load_catalog

            try:
                self._catalog = load_catalog(self.name, **self.properties)
            except Exception as exc:  # noqa: BLE001 - any catalog plugin error means unavailable
                raise SourceUnavailable(
                    f"source {self.name}: cannot load catalog: {one_line(exc)}"
                ) from exc
        return self._catalog

    def _wanted(self, namespace: str) -> bool:
        if self.namespaces is None:
            return True
        return any(namespace == n or namespace.startswith(n + ".") for n in self.namespaces)

    def discover(self) -> Discovery:
        try:
            pointers = self._database.pointers(self.name) if self._database else None
            if pointers is None:
                pointers = self._sql_pointers()
            if pointers is None:
                pointers = self._generic_pointers()
        except SourceUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - catalog clients raise anything when down
            raise SourceUnavailable(
                f"source {self.name}: cannot list tables: {one_line(exc)}"
            ) from exc
        entries = [
            TableEntry(TableRef(self.name, identifier), location or "", location)
            for identifier, location in sorted(pointers.items())
            if self._wanted(identifier.rsplit(".", 1)[0])
        ]
        return Discovery(tuple(entries))

    def _sql_pointers(self) -> dict[str, str | None] | None:
        """The pointers of a SQL catalog pyiceberg loaded (None for other catalog kinds)."""
        from pyiceberg.catalog.sql import SqlCatalog

        catalog = self.catalog
        if not isinstance(catalog, SqlCatalog):
            return None
        with catalog.engine.connect() as connection:
            return query_pointers(connection, catalog.name)

    def _generic_pointers(self) -> dict[str, str | None]:
        catalog = self.catalog
        pointers: dict[str, str | None] = {}
        pending: list[tuple[str, ...]] = [tuple(n) for n in catalog.list_namespaces()]
        while pending:
            namespace = pending.pop()
            pending.extend(
                tuple(n) for n in catalog.list_namespaces(namespace) if tuple(n) != namespace
            )
            for identifier in catalog.list_tables(namespace):
                name = ".".join(identifier)
                if self._wanted(name.rsplit(".", 1)[0]):
                    pointers[name] = catalog.load_table(identifier).metadata_location
        return pointers

    def has_changed(self, entry: TableEntry, cursor: str | None) -> bool:
        previous = IcebergCursor.decode(cursor)
        return previous is None or previous.location != entry.pointer

    def _io(self, location: str) -> Any:
        """The catalog's FileIO for ``location``, one per scheme, kept."""
        from pyiceberg.io import load_file_io

        scheme = location.split("://", 1)[0] if "://" in location else "file"
        if scheme not in self._file_io:
            properties = file_io_properties(self.catalog.properties)
            self._file_io[scheme] = load_file_io(properties, location)
        return self._file_io[scheme]

    def _reads_locally(self, location: str) -> bool:
        """Whether metadata at ``location`` is read as a local file: directly, without
        pyiceberg or pyarrow (a sync of a local SQL catalog never imports them); other
        locations, or a catalog naming its own FileIO, go through the catalog's FileIO."""
        if "py-io-impl" in self.properties:
            return False
        return "://" not in location or location.startswith("file://")

    def _io_reader(self, location: str) -> Callable[[str, int | None], bytes]:
        io = self._io(location)

        def read_io(path: str, limit: int | None) -> bytes:
            with io.new_input(path).open() as stream:
                return bytes(stream.read() if limit is None else stream.read(limit))

        return read_io

    def read(self, entry: TableEntry, cursor: str | None) -> TableState:
        if not entry.pointer:
            raise InvalidMetadata(f"{entry.ref}: the catalog has no metadata location for it")
        local = self._reads_locally(entry.pointer)
        read_bytes = _read_local if local else self._io_reader(entry.pointer)

        def read_older(path: str, limit: int | None) -> bytes | None:
            try:
                return read_bytes(path, limit)
            except OSError:
                return None

        with (_file_errors if local else _library_errors)(entry.ref):
            raw = read_bytes(entry.pointer, None)
        return table_state(entry.ref, raw, entry.pointer, read_older, IcebergCursor.decode(cursor))

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
        engine = getattr(self._catalog, "engine", None)
        if engine is not None:
            engine.dispose()
