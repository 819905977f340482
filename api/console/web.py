"""What every console page shares: templates, the session cookie, CSRF, the caller, errors."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.console import formatting
from api.deps import SessionDep
from models.errors import DomainError, Forbidden, Unauthorized
from models.settings import Settings
from models.users import Role, User, active_user

HERE = Path(__file__).parent
COOKIE = "fieldsales_console"
# A console session lasts a working day; signing in again each morning is expected.
MAX_AGE_S = 12 * 3600
LOGIN = "/console/login"

templates = Jinja2Templates(directory=HERE / "templates")
formatting.install(templates.env)


class UsePhone(Exception):
    """A rep reached a console page: the phone app is their tool."""


def serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt="fieldsales-console-session")


def read_session(request: Request) -> dict[str, str]:
    """The signed cookie's content; empty when absent, forged or older than a working day."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = serializer(request.app.state.settings).loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def write_session(request: Request, response: Response, data: dict[str, str]) -> None:
    response.set_cookie(
        COOKIE,
        serializer(request.app.state.settings).dumps(data),
        max_age=MAX_AGE_S,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def new_session(user_id: uuid.UUID | None = None) -> dict[str, str]:
    """A fresh session; the CSRF token changes whenever the signed-in user does."""
    data = {"csrf": secrets.token_urlsafe(32)}
    if user_id is not None:
        data["uid"] = str(user_id)
    return data


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form posts back the token its session holds; a cross-site form cannot know it."""
    expected = read_session(request).get("csrf", "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise Forbidden("The form has expired or did not come from this site; reload the page.")


def console_user(request: Request, session: SessionDep) -> User:
    """The signed-in user of the cookie; others are sent to the sign-in page."""
    uid = read_session(request).get("uid")
    if uid is None:
        raise Unauthorized("Sign in first.")
    try:
        user = active_user(session, uuid.UUID(uid))
    except ValueError as exc:
        raise Unauthorized("Sign in first.") from exc
    request.state.console_user = user
    return user


def staff(*roles: Role) -> Callable[[User], User]:
    """Admit these roles; reps are shown the phone page, other roles a 403 page."""

    def check(user: Annotated[User, Depends(console_user)]) -> User:
        if user.role == Role.rep:
            raise UsePhone
        if user.role not in roles:
            raise Forbidden(f"This page needs one of the roles: {', '.join(roles)}.")
        return user

    return check


# Managers read the region's reports and plan; planners and admins also change the plan.
Reader = Annotated[User, Depends(staff(Role.manager, Role.planner, Role.admin))]
Editor = Annotated[User, Depends(staff(Role.planner, Role.admin))]
Csrf = Annotated[None, Depends(check_csrf)]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with what the layout needs: the user, the CSRF token, the current path."""
    base = {
        "user": getattr(request.state, "console_user", None),
        "csrf_token": read_session(request).get("csrf", ""),
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def _error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthorized):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN}?next={quote(target, safe='/')}", status_code=303)
    if isinstance(exc, UsePhone):
        return render(request, "phone.html", {}, status_code=403)
    if isinstance(exc, RequestValidationError):
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        context = {"title": "Invalid input", "detail": f"Check these fields: {fields}."}
        return render(request, "error.html", context, status_code=422)
    assert isinstance(exc, DomainError)
    context = {"title": exc.title, "detail": exc.detail}
    response = render(request, "error.html", context, status_code=exc.status)
    response.headers.update(exc.headers or {})
    return response


def without_blanks(request: Request) -> Request:
    """The request without empty query parameters: a filter form's "All" sends ``brand_id=``."""
    pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if all(value for _, value in pairs):
        return request
    kept = urlencode([(key, value) for key, value in pairs if value]).encode("latin-1")
    return Request({**request.scope, "query_string": kept}, request.receive)


class ConsoleRoute(APIRoute):
    """Errors of console pages answer an HTML page (or the sign-in page), not problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(without_blanks(request))
            except (DomainError, UsePhone, RequestValidationError) as exc:
                return _error_page(request, exc)

        return page
