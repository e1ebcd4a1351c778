"""Typed request parameters: table references and instants, parsed like the CLI's."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from temporal_lineage.api.state import app_state
from temporal_lineage.config import Settings
from temporal_lineage.errors import ConfigError, InvalidTime
from temporal_lineage.model import TableRef
from temporal_lineage.store import Store
from temporal_lineage.times import parse_time

_TIME_HELP = "ISO-8601; a naive time is UTC, a bare date is 00:00 UTC"


def table_ref(
    table: Annotated[str, Path(description="<source>.<identifier>, e.g. lake.raw.orders")],
) -> TableRef:
    """The table named in the path."""
    try:
        return TableRef.from_user_string(table)
    except ValueError as exc:
        raise ConfigError(f"table: {exc}") from exc


def _time(value: str | None, name: str) -> datetime | None:
    """``value`` parsed (None when absent or empty).

    Raises:
        InvalidTime: not an ISO-8601 time; the message names the parameter.
    """
    try:
        return parse_time(value) if value else None
    except InvalidTime as exc:
        raise InvalidTime(f"{name}: {exc}") from None


def as_of(
    as_of: Annotated[str | None, Query(description=f"The time asked about. {_TIME_HELP}")] = None,
) -> datetime | None:
    """``as_of`` (None: now, where the answer allows it)."""
    return _time(as_of, "as_of")


def known_at(
    known_at: Annotated[
        str | None, Query(description=f"Ignore facts recorded after this time. {_TIME_HELP}")
    ] = None,
) -> datetime | None:
    """``known_at`` (None: everything known)."""
    return _time(known_at, "known_at")


def store(request: Request) -> Store:
    """The app's store."""
    return app_state(request).store


def settings(request: Request) -> Settings:
    """The settings the app serves."""
    return app_state(request).settings


RefName = Annotated[
    str,
    Query(
        alias="ref",
        max_length=255,
        description="Ask of this branch or tag instead of main (Iceberg refs)",
    ),
]
Table = Annotated[TableRef, Depends(table_ref)]
AsOf = Annotated[datetime | None, Depends(as_of)]
KnownAt = Annotated[datetime | None, Depends(known_at)]
StoreDep = Annotated[Store, Depends(store)]
SettingsDep = Annotated[Settings, Depends(settings)]


def time_param(name: str, description: str, required: bool = False) -> Any:
    """A dependency parsing another instant parameter (``since``, ``from``, ``to``)."""

    def parse(value: str | None = None) -> datetime | None:
        parsed = _time(value, name)
        if parsed is None and required:
            raise ConfigError(f"{name}: required")
        return parsed

    # The query name is only known here (``from`` is a keyword): give FastAPI a signature
    # with the alias resolved, as string annotations cannot see this closure.
    query = Query(alias=name, description=f"{description} {_TIME_HELP}")
    parameter = inspect.Parameter(
        "value",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, query],
    )
    parse.__signature__ = inspect.Signature([parameter], return_annotation=datetime | None)  # type: ignore[attr-defined]
    return Depends(parse)


Since = Annotated[datetime | None, time_param("since", "Only schema changes from this time on.")]
From = Annotated[datetime, time_param("from", "The earlier time (A).", required=True)]
To = Annotated[datetime, time_param("to", "The later time (B).", required=True)]
