"""A progress bar for ``sync`` on a terminal (nothing in json mode or when not a TTY)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from temporal_lineage.model import TableRef, TableSyncResult


class BarProgress:
    """Draws one bar per source on stderr."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[current]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> BarProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def source_started(self, source: str, tables: int) -> None:
        self._task = self._progress.add_task(f"sync {source}", total=tables, current="")

    def table_done(self, ref: TableRef, result: TableSyncResult | None, error: str | None) -> None:
        if self._task is None:
            return
        note = "error" if error else (f"+{result.new_snapshots}" if result else "unchanged")
        self._progress.update(self._task, advance=1, current=f"{ref} {note}")


@contextmanager
def counting(
    description: str, total: int | None, *, shown: bool
) -> Iterator[Callable[[int], None]]:
    """A bar on stderr counting ``total`` items (a silent counter when not ``shown``)."""
    if not shown:
        yield lambda _n: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(description, total=total)
    with progress:
        yield lambda n: progress.update(task, advance=n)
