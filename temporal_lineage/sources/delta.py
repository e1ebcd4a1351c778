"""Delta source: tables found below a root (every folder holding ``_delta_log``) or listed.

History is read from the transaction log itself: new commit files in one pass, and the
newest usable checkpoint when older commit files have been cleaned up. Data reads (which
need deltalake) live with reproduction, not here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from temporal_lineage.commit_effects import ADDED_BYTES_KEY, DATA_CHANGE_KEY, REMOVED_BYTES_KEY
from temporal_lineage.errors import InvalidMetadata, NotATable, SourceUnavailable, one_line
from temporal_lineage.model import (
    DatedBy,
    Format,
    HeadChange,
    SchemaTransition,
    Snapshot,
    TableRef,
    TableState,
    TextRepair,
)
from temporal_lineage.sources.base import Capabilities, Discovery, Source, TableEntry
from temporal_lineage.sources.delta_log import (
    CHECKPOINT_FILE,
    COMMIT_FILE,
    Commit,
    checkpoint_actions,
    commit_millis,
    commit_name,
    parse_commit,
    parse_schema,
)
from temporal_lineage.sources.storage import Storage, local_path, storage_for
from temporal_lineage.storable import operation_name, repaired
from temporal_lineage.times import from_millis

DELTA_CAPABILITIES = Capabilities(
    has_field_ids=False,
    has_schema_ids=False,
    has_branches=False,
    has_commit_properties=True,
    has_head_log=False,
)
LOG = "_delta_log"


@dataclass(frozen=True)
class DeltaCursor:
    """The last version read, the table id it belonged to, the oldest commit file then."""

    version: int
    table_id: str
    oldest: int | None = None
    oldest_mtime: int | None = None
    """The oldest commit file's modification time (ms): a log deleted and written anew has
    new files, however many versions it has."""

    def encode(self) -> str:
        """The opaque string the store keeps."""
        return json.dumps(
            {
                "version": self.version,
                "table_id": self.table_id,
                "oldest": self.oldest,
                "oldest_mtime": self.oldest_mtime,
            }
        )

    @classmethod
    def decode(cls, text: str | None) -> DeltaCursor | None:
        """Read back a cursor (None when absent or from another format)."""
        if not text:
            return None
        try:
            raw = json.loads(text)
            oldest = raw.get("oldest")
            mtime = raw.get("oldest_mtime")
            return cls(
                int(raw["version"]),
                str(raw["table_id"]),
                int(oldest) if oldest is not None else None,
                int(mtime) if mtime is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class _Listing:
    commits: frozenset[int]
    checkpoints: Mapping[int, tuple[str, ...]]

    @property
    def earliest_commit(self) -> int | None:
        return min(self.commits) if self.commits else None


class DeltaSource(Source):
    """Delta tables below ``root``, or at the explicit ``tables`` URIs."""

    format = Format.DELTA
    capabilities = DELTA_CAPABILITIES

    def __init__(
        self,
        name: str,
        *,
        root: str | None,
        tables: tuple[str, ...],
        storage_options: Mapping[str, str],
    ) -> None:
        super().__init__(name)
        self.root = local_path(root) if root else None
        self.tables = tuple(local_path(t).rstrip("/") for t in tables)
        anchor = self.root or (self.tables[0] if self.tables else "")
        self.storage: Storage = storage_for(anchor, storage_options)

    # -- discovery -----------------------------------------------------------------------

    def discover(self) -> Discovery:
        if self.root is None:
            entries = [TableEntry(TableRef(self.name, _basename(uri)), uri) for uri in self.tables]
            return Discovery(tuple(entries))
        try:
            if not self.storage.is_dir(self.root):
                raise SourceUnavailable(f"source {self.name}: root not found: {self.root}")
            found: list[TableEntry] = []
            self._walk(self.root, (), found)
        except OSError as exc:  # an unreachable object store, a folder we may not read
            raise SourceUnavailable(
                f"source {self.name}: cannot list {self.root}: {one_line(exc)}"
            ) from exc
        return Discovery(tuple(found))

    def _walk(self, folder: str, parts: tuple[str, ...], found: list[TableEntry]) -> None:
        if parts and self.storage.has_folder(folder, LOG):
            found.append(TableEntry(TableRef(self.name, ".".join(parts)), folder))
            return
        for entry in sorted(self.storage.list_dir(folder), key=lambda e: e.name):
            if entry.is_dir and not entry.name.startswith((".", "_")):
                self._walk(self.storage.join(folder, entry.name), (*parts, entry.name), found)

    # -- polling -------------------------------------------------------------------------

    def _log(self, entry: TableEntry, *names: str) -> str:
        return self.storage.join(entry.location, LOG, *names)

    def has_changed(self, entry: TableEntry, cursor: str | None) -> bool:
        previous = DeltaCursor.decode(cursor)
        if previous is None:
            return True
        try:
            if self.storage.exists(self._log(entry, commit_name(previous.version + 1))):
                return True
            # Log cleanup (which may come without a commit) removes the oldest commit files;
            # a table deleted and written anew has new ones (one stat either way).
            if previous.oldest is None:
                return False
            mtime = self._commit_mtime(entry, previous.oldest)
            return mtime is None or (
                previous.oldest_mtime is not None and mtime != previous.oldest_mtime
            )
        except OSError as exc:
            raise SourceUnavailable(
                f"{entry.ref}: cannot reach the Delta log: {one_line(exc)}"
            ) from exc

    def read(self, entry: TableEntry, cursor: str | None) -> TableState:
        previous = DeltaCursor.decode(cursor)
        try:
            listing = self._list(entry)
            if (
                previous is not None
                and previous.version + 1 in listing.commits
                and self._same_incarnation(entry, listing, previous)
            ):
                return self._read_from(entry, listing, previous.version + 1, previous)
            return self._read_all(entry, listing)
        except FileNotFoundError as exc:
            raise InvalidMetadata(f"{entry.ref}: log file vanished: {exc.filename or exc}") from exc
        except OSError as exc:  # the store answered with an error, or not at all
            raise SourceUnavailable(
                f"{entry.ref}: cannot read the Delta log: {one_line(exc)}"
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidMetadata(f"{entry.ref}: malformed Delta log: {one_line(exc)}") from exc

    def _list(self, entry: TableEntry) -> _Listing:
        commits: set[int] = set()
        checkpoints: dict[int, list[str]] = {}
        for item in self.storage.list_dir(self._log(entry)):
            if item.is_dir:
                continue
            if match := COMMIT_FILE.match(item.name):
                commits.add(int(match.group(1)))
            elif match := CHECKPOINT_FILE.match(item.name):
                checkpoints.setdefault(int(match.group(1)), []).append(item.name)
        if not commits and not checkpoints:
            raise NotATable(f"{entry.ref}: {LOG} holds no commit or checkpoint")
        return _Listing(frozenset(commits), {v: tuple(sorted(n)) for v, n in checkpoints.items()})

    def _same_incarnation(
        self, entry: TableEntry, listing: _Listing, previous: DeltaCursor
    ) -> bool:
        """Whether the log is still the one the cursor read (not deleted and written anew).

        The oldest commit file the cursor saw tells by its modification time (one stat); a
        cursor without one (written before) compares the first commit's ``metaData.id``.
        Once log cleanup removed the file the cursor saw, newer ones are trusted.
        """
        oldest = previous.oldest
        if oldest is not None and oldest in listing.commits and previous.oldest_mtime is not None:
            return self._commit_mtime(entry, oldest) == previous.oldest_mtime
        if 0 not in listing.commits:
            return True
        first = parse_commit(0, self.storage.read_bytes(self._log(entry, commit_name(0))))
        table_id = (first.metadata or {}).get("id")
        return table_id is None or str(table_id) == previous.table_id

    def _read_all(self, entry: TableEntry, listing: _Listing) -> TableState:
        """Read the whole retained history: from version 0, or from a checkpoint."""
        latest = max(listing.commits | set(listing.checkpoints))
        start = latest
        while start - 1 in listing.commits:
            start -= 1
        if start not in listing.commits:
            start = latest + 1
        if start == 0:
            return self._read_from(entry, listing, 0, None)
        base = [v for v in listing.checkpoints if start - 1 <= v <= latest]
        if not base:
            raise InvalidMetadata(
                f"{entry.ref}: commits before version {start} are gone and no checkpoint "
                f"covers version {start - 1} or later"
            )
        checkpoint = min(base)
        metadata, repairs = self._checkpoint_metadata(
            entry, checkpoint, listing.checkpoints[checkpoint]
        )
        return self._read_from(
            entry, listing, start, None, checkpoint=(checkpoint, metadata), repairs=repairs
        )

    def _checkpoint_metadata(
        self, entry: TableEntry, version: int, names: tuple[str, ...]
    ) -> tuple[Mapping[str, Any], list[TextRepair]]:
        for name in names:
            metadata, _protocol = checkpoint_actions(
                name, self.storage.read_bytes(self._log(entry, name))
            )
            if metadata is not None:
                kept, repairs = repaired(metadata, "metaData", label=f"checkpoint {version}: ")
                return kept, repairs
        raise InvalidMetadata(f"{entry.ref}: checkpoint {version} has no metaData action")

    def _commit_mtime(self, entry: TableEntry, version: int) -> int | None:
        """A commit file's modification time (ms), None once it is gone."""
        try:
            return self.storage.modified_ms(self._log(entry, commit_name(version)))
        except FileNotFoundError:
            return None

    def _committed_at(self, entry: TableEntry, commit: Commit) -> datetime:
        """In-commit timestamp, else commitInfo.timestamp, else the commit file's mtime."""
        millis = commit_millis(commit)
        if millis is None:
            millis = self.storage.modified_ms(self._log(entry, commit_name(commit.version)))
        return from_millis(millis)

    def _read_from(
        self,
        entry: TableEntry,
        listing: _Listing,
        start: int,
        previous: DeltaCursor | None,
        *,
        checkpoint: tuple[int, Mapping[str, Any]] | None = None,
        repairs: Sequence[TextRepair] = (),
    ) -> TableState:
        commits: list[Commit] = []
        version = start
        while version in listing.commits:
            raw = self.storage.read_bytes(self._log(entry, commit_name(version)))
            commits.append(parse_commit(version, raw))
            version += 1
        if not commits:
            raise InvalidMetadata(f"{entry.ref}: no commit file from version {start} on")
        snapshots: list[Snapshot] = []
        transitions: list[SchemaTransition] = []
        table_id = previous.table_id if previous else None
        last_fingerprint: str | None = None
        cut_operations: list[TextRepair] = []
        if checkpoint is not None:
            version, metadata = checkpoint
            table_id = str(metadata.get("id") or table_id or entry.location)
            if not any(c.metadata is not None for c in commits if c.version <= version):
                # The schema in force at the first retained commit is the checkpoint's: its
                # start is older than anything left, so it is bounded by that commit.
                schema = parse_schema(metadata)
                transitions.append(
                    SchemaTransition(
                        schema,
                        self._committed_at(entry, commits[0]),
                        DatedBy.EARLIEST_SNAPSHOT,
                        None,
                        commits[0].version,
                    )
                )
                last_fingerprint = schema.fingerprint()
        for commit in commits:
            committed_at = self._committed_at(entry, commit)
            if commit.metadata is not None:
                table_id = str(commit.metadata.get("id") or table_id or entry.location)
                schema = parse_schema(commit.metadata)
                if schema.fingerprint() != last_fingerprint:
                    transitions.append(
                        SchemaTransition(schema, committed_at, DatedBy.COMMIT, None, commit.version)
                    )
                    last_fingerprint = schema.fingerprint()
            info = dict(commit.commit_info or {})
            if commit.data_change is False:
                info[DATA_CHANGE_KEY] = False
            for key, size in (
                (ADDED_BYTES_KEY, commit.added_bytes),
                (REMOVED_BYTES_KEY, commit.removed_bytes),
            ):
                if size is not None:
                    info[key] = size
            operation, cut = operation_name(info.get("operation"), "commitInfo.operation")
            if cut is not None:
                cut_operations.append(replace(cut, field=f"version {commit.version}: {cut.field}"))
            snapshots.append(
                Snapshot(
                    snapshot_id=commit.version,
                    parent_id=commit.version - 1 if commit.version > 0 else None,
                    committed_at=committed_at,
                    operation=operation,
                    schema_id=None,
                    sequence_number=commit.version,
                    summary=info,
                )
            )
        if table_id is None:
            raise InvalidMetadata(f"{entry.ref}: no metaData action in the retained log")
        last = commits[-1].version
        return TableState(
            ref=entry.ref,
            format=Format.DELTA,
            incarnation=table_id,
            location=entry.location,
            cursor=DeltaCursor(
                last,
                table_id,
                listing.earliest_commit,
                None
                if listing.earliest_commit is None
                else self._commit_mtime(entry, listing.earliest_commit),
            ).encode(),
            snapshots=tuple(snapshots),
            heads=tuple(HeadChange(s.snapshot_id, s.committed_at) for s in snapshots),
            transitions=tuple(transitions),
            retained_from=listing.earliest_commit,
            snapshots_complete=False,
            repairs=(*repairs, *(r for c in commits for r in c.repairs), *cut_operations),
        )


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]
