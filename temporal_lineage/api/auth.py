"""Bearer tokens and scopes: writes always need a token, reads unless configured open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from temporal_lineage.api.state import AppState, app_state
from temporal_lineage.store.tokens import Scope, TokenInfo

_bearer = HTTPBearer(auto_error=False, description="An API token (temporal-lineage token create)")


def _challenge(status: int, detail: str) -> HTTPException:
    return HTTPException(status, detail, headers={"WWW-Authenticate": "Bearer"})


def require(scope: Scope) -> Callable[..., Awaitable[TokenInfo | None]]:
    """A dependency admitting requests whose token allows ``scope``."""

    # Async: run on the event loop, not through the threadpool. A token lookup is one
    # indexed row, far cheaper than the thread round trip a sync dependency costs on every
    # request (bench/http_service.py).
    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenInfo | None:
        state: AppState = app_state(request)
        if scope is Scope.READ and state.settings.service.open_reads and credentials is None:
            return None
        if credentials is None:
            raise _challenge(401, f"this endpoint needs a token with scope {scope.value}")
        with state.store.reader() as reader:
            token = reader.verify_token(credentials.credentials)
        if token is None:
            raise _challenge(401, "unknown or revoked token")
        if not token.scope.allows(scope):
            raise HTTPException(
                403, f"token {token.prefix} has scope {token.scope.value}, needs {scope.value}"
            )
        return token

    return check


READ = Depends(require(Scope.READ))
WRITE = Depends(require(Scope.WRITE))
ADMIN = Depends(require(Scope.ADMIN))
