"""Bearer tokens: short-lived access tokens, and refresh tokens for phones offline for days."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt
from pydantic import BaseModel

from models.base import utcnow
from models.errors import Unauthorized
from models.settings import Settings
from models.users import User

ALGORITHM = "HS256"
TokenKind = Literal["access", "refresh"]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str


def _encode(settings: Settings, user: User, kind: TokenKind, lifetime: timedelta) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "kind": kind,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)


def issue(settings: Settings, user: User) -> TokenPair:
    access = timedelta(minutes=settings.access_token_minutes)
    return TokenPair(
        access_token=_encode(settings, user, "access", access),
        refresh_token=_encode(
            settings, user, "refresh", timedelta(days=settings.refresh_token_days)
        ),
        expires_in=int(access.total_seconds()),
    )


@lru_cache(maxsize=4096)
def _signed(key: str, token: str) -> dict[str, Any]:
    """The claims of a token whose signature checks out (not its expiry: see ``subject``).

    A phone sends the same token all day; checking its signature again on each request was a
    tenth of a check-in's work. Failures are not cached.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        options={"require": ["exp", "sub"], "verify_exp": False},
    )
    return claims


def subject(settings: Settings, token: str, kind: TokenKind) -> uuid.UUID:
    """The user id a valid token of this kind names; anything else is a 401."""
    try:
        claims = _signed(settings.signing_key, token)
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("The token is not valid.") from exc
    expires = claims["exp"]
    if not isinstance(expires, int | float):
        raise _unauthorized("The token is not valid.")
    if expires <= time.time():
        raise _unauthorized("The token has expired.")
    if claims.get("kind") != kind:
        raise _unauthorized(f"An {kind} token is required.")
    try:
        return uuid.UUID(claims["sub"])
    except ValueError as exc:
        raise _unauthorized("The token is not valid.") from exc


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": "Bearer"})
