"""Sign-in throttling: attempts per client address and username, so passwords cannot be guessed.

Attempts are counted by the ``limits`` library, in this process's memory by default: with
several API processes each counts its own (point ``FIELDSALES_SIGN_IN_LIMIT_STORAGE`` at a
shared redis:// store to count them together).
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordRequestForm
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from models.errors import DomainError
from models.settings import Settings


class TooManyRequests(DomainError):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"


class SignInLimit:
    """The sign-in attempts allowed per client address and username, over moving windows."""

    def __init__(self, rule: str, storage: str = "memory://") -> None:
        self.items: list[RateLimitItem] = parse_many(rule)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def hit(self, address: str, username: str) -> None:
        """Count one attempt; past the limit, a 429 saying when to try again."""
        # No username is longer than 100 characters; a longer one only makes more keys.
        key = (address, username[:100])
        for item in self.items:
            if not self.limiter.hit(item, *key):
                reset = self.limiter.get_window_stats(item, *key).reset_time
                retry = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(
                    f"Too many sign-in attempts; try again in {retry} s.",
                    headers={"Retry-After": str(retry)},
                )


def throttle_sign_in(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> None:
    """Dependency of the token endpoint: counts the attempt before the password is checked."""
    limit: SignInLimit = request.app.state.sign_in_limit
    limit.hit(request.client.host if request.client else "unknown", form.username)


def install(app: FastAPI, settings: Settings) -> None:
    app.state.sign_in_limit = SignInLimit(
        settings.sign_in_rate_limit, settings.sign_in_limit_storage
    )
