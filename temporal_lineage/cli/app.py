"""The command group, its shared options and parameter types."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from temporal_lineage import __version__
from temporal_lineage.cli.exit_codes import exit_code, one_line
from temporal_lineage.cli.lazy_group import LazyGroup
from temporal_lineage.errors import ConfigError, LineageError
from temporal_lineage.model import MAIN, TableRef
from temporal_lineage.storable import check_text
from temporal_lineage.times import parse_time

if TYPE_CHECKING:
    # Imported where used: a command that needs neither settings nor a store (``--help``)
    # does not pay for YAML and SQLAlchemy.
    from temporal_lineage.config import Settings
    from temporal_lineage.store import Store

F = TypeVar("F", bound=Callable[..., Any])


class _TimeParam(click.ParamType[datetime]):
    """An ISO-8601 instant; naive is UTC, a bare date is 00:00 UTC."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value))
        except LineageError as exc:
            self.fail(one_line(exc), param, ctx)


class _TableParam(click.ParamType[TableRef]):
    """A table reference ``<source>.<identifier>``."""

    name = "table"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, TableRef):
            return value
        try:
            return TableRef.from_user_string(check_text(str(value), "table"))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _check_arguments(kwargs: dict[str, Any]) -> None:
    """Refuse an argument the store could not look up (a lone surrogate from a non-UTF-8
    command line, a NUL).

    Raises:
        ConfigError: naming the argument.
    """
    for name, value in kwargs.items():
        for item in value if isinstance(value, tuple | list) else (value,):
            if isinstance(item, str):
                try:
                    check_text(item, name.replace("_", "-"))
                except ValueError as exc:
                    raise ConfigError(str(exc)) from None


TIME = _TimeParam()
TABLE = _TableParam()
REF = click.option(
    "--ref",
    default=MAIN,
    show_default=True,
    metavar="NAME",
    help="Ask of this branch or tag instead of main (Iceberg refs).",
)


@dataclass(frozen=True)
class Invocation:
    """The options every command shares."""

    config: str | None
    store_url: str | None
    output: str

    def settings(self) -> Settings:
        """The settings these options select."""
        from temporal_lineage.config import load_settings

        return load_settings(self.config, store=self.store_url)

    def store(self) -> Store:
        """The store, created or migrated on first use."""
        from temporal_lineage.store import open_store

        return open_store(self.settings().store_url)

    @property
    def json(self) -> bool:
        """Whether the answer is wanted as JSON."""
        return self.output == "json"


def command(*, formats: tuple[str, ...] = ("table", "json")) -> Callable[[F], F]:
    """Add --config/--store/--format and turn our errors into one line + an exit code."""

    def decorate(func: F) -> F:
        @click.option(
            "--format",
            "output",
            type=click.Choice(formats),
            default=formats[0],
            show_default=True,
            help="Answer format (json: one document on stdout).",
        )
        @click.option("--store", "store_url", metavar="URL", help="Store URL (overrides config).")
        @click.option(
            "--config",
            metavar="FILE",
            help="Config file (default: $TEMPORAL_LINEAGE_CONFIG, else ./lineage.yaml).",
        )
        @functools.wraps(func)
        def wrapper(config: str | None, store_url: str | None, output: str, **kwargs: Any) -> Any:
            invocation = Invocation(config, store_url, output)
            try:
                _check_arguments({"config": config, "store": store_url, **kwargs})
                return func(invocation, **kwargs)
            except LineageError as exc:
                click.echo(f"error: {one_line(exc)}", err=True)
                sys.exit(exit_code(exc))

        return wrapper  # type: ignore[return-value]

    return decorate


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="temporal-lineage")
def cli() -> None:
    """The exact, bitemporal memory of an Iceberg / Delta lakehouse."""
