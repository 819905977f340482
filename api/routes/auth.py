"""Sign-in: OAuth2 password flow, token refresh, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api import tokens
from api.deps import SessionDep, SettingsDep
from api.problems import problem_responses
from api.ratelimit import throttle_sign_in
from models.errors import Unauthorized
from models.users import active_user, authenticate

router = APIRouter(prefix="/v1", tags=["auth"])


@router.post(
    "/auth/token",
    response_model=tokens.TokenPair,
    responses=problem_responses(401, 422, 429),
    dependencies=[Depends(throttle_sign_in)],
)
def token(
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> tokens.TokenPair:
    """Exchange a username and password for an access token and a refresh token."""
    user = authenticate(session, form.username, form.password)
    if user is None:
        raise Unauthorized("Wrong username or password.", error="invalid_grant")
    return tokens.issue(settings, user)


@router.post(
    "/auth/refresh", response_model=tokens.TokenPair, responses=problem_responses(401, 422)
)
def refresh(
    body: tokens.RefreshRequest, session: SessionDep, settings: SettingsDep
) -> tokens.TokenPair:
    """Exchange a refresh token for a new pair, for phones that stayed offline."""
    user = active_user(session, tokens.subject(settings, body.refresh_token, "refresh"))
    return tokens.issue(settings, user)
