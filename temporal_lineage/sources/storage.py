"""File access for sources: local paths through ``os``, object storage through pyarrow.fs."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from temporal_lineage.errors import SourceUnavailable


@dataclass(frozen=True)
class Entry:
    """A name in a folder listing."""

    name: str
    is_dir: bool


class Storage(Protocol):
    """The few file operations the sources need."""

    def exists(self, path: str) -> bool:
        """Whether a file exists (cheap: one stat / HEAD)."""
        ...

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """A whole file, or its first ``limit`` bytes; FileNotFoundError when it is gone."""
        ...

    def list_dir(self, path: str) -> list[Entry]:
        """The entries of a folder (empty when it does not exist)."""
        ...

    def join(self, base: str, *parts: str) -> str:
        """Join path parts the way this storage does."""
        ...

    def modified_ms(self, path: str) -> int:
        """A file's modification time, epoch milliseconds."""
        ...

    def is_dir(self, path: str) -> bool:
        """Whether a folder (or, in object storage, a non-empty prefix) exists."""
        ...


class LocalStorage:
    """The local file system."""

    def exists(self, path: str) -> bool:
        return os.path.isfile(path)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)

    def list_dir(self, path: str) -> list[Entry]:
        try:
            with os.scandir(path) as it:
                return [Entry(e.name, e.is_dir()) for e in it]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def join(self, base: str, *parts: str) -> str:
        return os.path.join(base, *parts)

    def modified_ms(self, path: str) -> int:
        return os.stat(path).st_mtime_ns // 1_000_000

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)


class ObjectStorage:
    """An object store (s3://, gs://, abfs://...) through pyarrow's file systems."""

    def __init__(self, uri: str, options: Mapping[str, str]) -> None:
        from pyarrow import fs as pafs

        parsed = urlparse(uri)
        self._prefix = f"{parsed.scheme}://"
        try:
            if parsed.scheme in ("s3", "s3a"):
                self._fs = pafs.S3FileSystem(**_s3_arguments(options))
            else:
                self._fs, _ = pafs.FileSystem.from_uri(uri)
        except (OSError, ValueError, TypeError) as exc:
            raise SourceUnavailable(f"cannot open object storage {uri}: {exc}") from exc
        self._pafs = pafs

    def _key(self, path: str) -> str:
        return path.split("://", 1)[1] if "://" in path else path

    def exists(self, path: str) -> bool:
        info = self._fs.get_file_info(self._key(path))
        return bool(info.type == self._pafs.FileType.File)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        info = self._fs.get_file_info(self._key(path))
        if info.type != self._pafs.FileType.File:
            raise FileNotFoundError(path)
        with self._fs.open_input_stream(self._key(path)) as stream:
            return bytes(stream.read() if limit is None else stream.read(limit))

    def list_dir(self, path: str) -> list[Entry]:
        selector = self._pafs.FileSelector(self._key(path), allow_not_found=True)
        return [
            Entry(posixpath.basename(i.path), i.type == self._pafs.FileType.Directory)
            for i in self._fs.get_file_info(selector)
        ]

    def join(self, base: str, *parts: str) -> str:
        return posixpath.join(base, *parts)

    def modified_ms(self, path: str) -> int:
        info = self._fs.get_file_info(self._key(path))
        if info.mtime_ns is None:
            raise FileNotFoundError(path)
        return int(info.mtime_ns) // 1_000_000

    def is_dir(self, path: str) -> bool:
        info = self._fs.get_file_info(self._key(path))
        return bool(info.type == self._pafs.FileType.Directory) or bool(self.list_dir(path))


def _s3_arguments(options: Mapping[str, str]) -> dict[str, object]:
    """Map delta-rs / object_store style option names to pyarrow's S3FileSystem arguments."""
    lowered = {k.lower(): v for k, v in options.items()}

    def pick(*names: str) -> str | None:
        for name in names:
            if name in lowered:
                return lowered[name]
        return None

    arguments: dict[str, object] = {}
    endpoint = pick("aws_endpoint_url", "aws_endpoint", "endpoint_url", "endpoint", "s3.endpoint")
    if endpoint:
        parsed = urlparse(endpoint)
        arguments["endpoint_override"] = parsed.netloc or endpoint
        if parsed.scheme:
            arguments["scheme"] = parsed.scheme
    for target, names in {
        "access_key": ("aws_access_key_id", "access_key_id", "s3.access-key-id"),
        "secret_key": ("aws_secret_access_key", "secret_access_key", "s3.secret-access-key"),
        "session_token": ("aws_session_token", "session_token"),
        "region": ("aws_region", "region", "s3.region"),
    }.items():
        value = pick(*names)
        if value:
            arguments[target] = value
    if pick("aws_allow_http", "allow_http") == "true":
        arguments["scheme"] = "http"
    return arguments


def storage_for(location: str, options: Mapping[str, str] | None = None) -> Storage:
    """The storage that reads ``location`` (a local path, ``file://`` or an object-store URI)."""
    if "://" not in location or location.startswith("file://"):
        return LocalStorage()
    return ObjectStorage(location, options or {})


def local_path(location: str) -> str:
    """A ``file://`` URI as a plain path; other locations unchanged."""
    if location.startswith("file://"):
        return urlparse(location).path
    return location
