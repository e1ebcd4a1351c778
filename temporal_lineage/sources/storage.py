"""File access for sources: local paths through ``os``, object storage through pyarrow.fs."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from typing import NamedTuple, Protocol
from urllib.parse import urlparse

from temporal_lineage.errors import SourceUnavailable


class Entry(NamedTuple):
    """A name in a folder listing (a tuple: listings of big folders make many)."""

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

    def list_dir(self, path: str, suffix: str = "") -> list[Entry]:
        """The entries of a folder whose names end with ``suffix`` (empty when it does not
        exist)."""
        ...

    def join(self, base: str, *parts: str) -> str:
        """Join path parts the way this storage does."""
        ...

    def has_folder(self, path: str, name: str) -> bool:
        """Whether folder ``path`` holds a folder ``name``, the cheapest way this storage
        can tell (what finds a table's ``metadata`` or ``_delta_log`` folder)."""
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

    def list_dir(self, path: str, suffix: str = "") -> list[Entry]:
        try:
            with os.scandir(path) as it:
                return [Entry(e.name, e.is_dir()) for e in it if e.name.endswith(suffix)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def join(self, base: str, *parts: str) -> str:
        return os.path.join(base, *parts)

    def has_folder(self, path: str, name: str) -> bool:
        # One stat, never a listing of ``path`` (a table's folder holds its data files).
        return os.path.isdir(os.path.join(path, name))

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

    def list_dir(self, path: str, suffix: str = "") -> list[Entry]:
        selector = self._pafs.FileSelector(self._key(path), allow_not_found=True)
        return [
            Entry(posixpath.basename(i.path), i.type == self._pafs.FileType.Directory)
            for i in self._fs.get_file_info(selector)
            if i.path.endswith(suffix)
        ]

    def join(self, base: str, *parts: str) -> str:
        return posixpath.join(base, *parts)

    def has_folder(self, path: str, name: str) -> bool:
        # One listing request: a "folder" check costs a HEAD and a listing here.
        return any(e.is_dir and e.name == name for e in self.list_dir(path))

    def modified_ms(self, path: str) -> int:
        info = self._fs.get_file_info(self._key(path))
        if info.mtime_ns is None:
            raise FileNotFoundError(path)
        return int(info.mtime_ns) // 1_000_000

    def is_dir(self, path: str) -> bool:
        info = self._fs.get_file_info(self._key(path))
        return bool(info.type == self._pafs.FileType.Directory) or bool(self.list_dir(path))


# Where object_store (delta-rs) reads S3 settings from the environment when the options do
# not give them; pyarrow itself reads the credentials and region but not these.
_ENDPOINT_ENV = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT")
_ALLOW_HTTP_ENV = "AWS_ALLOW_HTTP"


def _s3_arguments(
    options: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Map delta-rs / object_store and pyiceberg option names to pyarrow's S3FileSystem.

    The endpoint and ``AWS_ALLOW_HTTP`` fall back to the environment as delta-rs does, so a
    source configured like the writer reaches the same server (pyarrow alone would go to
    AWS). Options win over the environment.

    >>> _s3_arguments({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}, {})
    {'endpoint_override': '127.0.0.1:9000', 'scheme': 'http'}
    >>> _s3_arguments({"s3.endpoint": "minio:9000", "aws_allow_http": "true"}, {})
    {'endpoint_override': 'minio:9000', 'scheme': 'http'}
    >>> _s3_arguments({}, {"AWS_ENDPOINT_URL": "https://s3.example.com"})
    {'endpoint_override': 's3.example.com', 'scheme': 'https'}
    """
    env = os.environ if environ is None else environ
    lowered = {k.lower(): v for k, v in options.items()}

    def pick(*names: str) -> str | None:
        for name in names:
            if lowered.get(name):
                return lowered[name]
        return None

    arguments: dict[str, object] = {}
    endpoint = pick(
        "aws_endpoint_url_s3",
        "aws_endpoint_url",
        "aws_endpoint",
        "endpoint_url",
        "endpoint",
        "s3.endpoint",
    ) or next((env[name] for name in _ENDPOINT_ENV if env.get(name)), None)
    allow_http = pick("aws_allow_http", "allow_http") or env.get(_ALLOW_HTTP_ENV, "")
    if endpoint:
        if "://" in endpoint:
            parsed = urlparse(endpoint)
            arguments["endpoint_override"] = parsed.netloc + parsed.path.rstrip("/")
            arguments["scheme"] = parsed.scheme
        else:
            arguments["endpoint_override"] = endpoint
            arguments["scheme"] = "http" if allow_http.lower() == "true" else "https"
    for target, names in {
        "access_key": ("aws_access_key_id", "access_key_id", "s3.access-key-id"),
        "secret_key": ("aws_secret_access_key", "secret_access_key", "s3.secret-access-key"),
        "session_token": ("aws_session_token", "session_token", "token", "s3.session-token"),
        "region": ("aws_region", "region", "aws_default_region", "s3.region", "client.region"),
    }.items():
        value = pick(*names)
        if value:
            arguments[target] = value
    virtual = pick(
        "aws_virtual_hosted_style_request",
        "virtual_hosted_style_request",
        "s3.force-virtual-addressing",
    )
    if virtual is not None:
        arguments["force_virtual_addressing"] = virtual.lower() == "true"
    elif (path_style := pick("s3.path-style-access")) is not None:
        arguments["force_virtual_addressing"] = path_style.lower() != "true"
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
