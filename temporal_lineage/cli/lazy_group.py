"""A command group that imports a command's module only when the command is asked for.

Start-up is what a user feels first: ``temporal-lineage tables`` should not pay for
pyiceberg, polars or FastAPI. Each command module is imported by name when its command
runs (or when its own help is asked for); the group's ``--help`` lists every command
from a table of summaries without importing any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command is defined and the summary ``--help`` shows for it.

    ``summary`` must be the first paragraph of the command's help (its docstring's first
    lines): ``tests/cli/test_startup_imports.py`` checks it against the loaded command.
    """

    module: str
    summary: str


class LazyGroup(click.Group):
    """A :class:`click.Group` whose commands register themselves when their module is
    imported (``@cli.command()``), which happens on first use of the command's name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = {}

    def add_lazy_commands(self, commands: Mapping[str, LazyCommand]) -> None:
        """Make ``commands`` known by name; nothing is imported yet."""
        self.lazy_commands.update(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            importlib.import_module(self.lazy_commands[cmd_name].module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section, from the loaded commands or else the summaries."""
        commands = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        commands = [(name, cmd) for name, cmd in commands if not cmd.hidden]
        if not commands:
            return
        # The same layout as click.Group.format_commands.
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        rows = [(name, cmd.get_short_help_str(limit)) for name, cmd in commands]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _listed(self, name: str) -> click.Command:
        """The loaded command, or a stand-in carrying its summary (never imported here)."""
        loaded = self.commands.get(name)
        if loaded is not None:
            return loaded
        return click.Command(name, help=self.lazy_commands[name].summary)
