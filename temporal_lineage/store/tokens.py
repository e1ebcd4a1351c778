"""API tokens: stored as a SHA-256 of the secret, found by a short public prefix.

A token reads ``tl_<prefix>_<secret>``: the prefix (8 hex digits) names the row and is safe
to show in listings; only the hash of the whole token is kept, so the store never holds a
usable secret. Tokens carry 256 random bits, so a fast hash is the right one (a password
hash buys nothing against a search space that large).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from temporal_lineage.errors import ConfigError
from temporal_lineage.store import bulk
from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import UtcDateTime

_PREFIX = "tl_"


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        """Whether a token of this scope may do what ``needed`` guards."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """A scope from its name.

        Raises:
            ConfigError: not a scope name.
        """
        try:
            return cls(text)
        except ValueError:
            raise ConfigError(
                f"unknown scope {text!r} (expected {', '.join(s.value for s in cls)})"
            ) from None


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its secret."""

    prefix: str
    scope: Scope
    name: str | None
    created_at: datetime
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: Connection, scope: Scope, now: datetime, name: str | None = None) -> str:
    """Make a token and store its hash; the returned secret is shown once, never again."""
    while True:
        prefix = secrets.token_hex(4)
        taken = conn.execute(
            select(t.api_tokens.c.id).where(t.api_tokens.c.prefix == prefix)
        ).first()
        if taken is None:
            break
    token = f"{_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        insert(t.api_tokens).values(
            prefix=prefix,
            secret_hash=_digest(token),
            scope=scope.value,
            name=name,
            created_at=now,
            recorded_at=now,
        )
    )
    return token


def verify_token(conn: Connection, token: str) -> TokenInfo | None:
    """The live token ``token`` is, or None (unknown, malformed or revoked)."""
    if not token.startswith(_PREFIX) or token.count("_") < 2:
        return None
    prefix = token[len(_PREFIX) :].split("_", 1)[0]
    # Every authenticated request asks this: plain SQL to the driver, not a construct whose
    # compilation-cache lookup cost more than the indexed lookup (bench/http_service.py).
    mark = bulk.placeholder(conn.dialect.name)
    found = conn.exec_driver_sql(
        "SELECT secret_hash, scope, name, created_at, revoked_at FROM api_tokens "
        f"WHERE prefix = {mark}",
        (prefix,),
    ).first()
    if found is None or found[4] is not None:
        return None
    secret_hash, scope, name, created_at, _ = found
    if not hmac.compare_digest(secret_hash, _digest(token)):
        return None
    instant = t.api_tokens.c.created_at.type
    assert isinstance(instant, UtcDateTime)
    created = instant.process_result_value(created_at, conn.dialect)
    assert created is not None
    return TokenInfo(
        prefix=prefix, scope=Scope(scope), name=name, created_at=created, revoked_at=None
    )


def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every token ever made, oldest first (revoked ones included)."""
    rows = conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.id))
    return [_info(row) for row in rows]


def revoke_token(conn: Connection, prefix: str, now: datetime) -> bool:
    """Revoke the token with this prefix; False when there is no live one."""
    result = conn.execute(
        update(t.api_tokens)
        .where(t.api_tokens.c.prefix == prefix, t.api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(
        prefix=row.prefix,
        scope=Scope(row.scope),
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
