"""Signing in and out of the console, and the page each role lands on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.web import (
    COOKIE,
    LOGIN,
    ConsoleRoute,
    Csrf,
    console_user,
    new_session,
    read_session,
    render,
    write_session,
)
from api.deps import SessionDep
from api.ratelimit import SignInLimit
from models.users import Role, User, authenticate

router = APIRouter(route_class=ConsoleRoute)


def _safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form; its CSRF token lives in a session cookie set here."""
    data = read_session(request) or new_session()
    context = {"next": _safe_next(next), "error": None, "csrf_token": data["csrf"]}
    response = render(request, "login.html", context)
    write_session(request, response, data)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    _: Csrf,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console",
) -> Response:
    """Check the credentials, then start a fresh session."""
    # The API's sign-in throttle counts these attempts too: the console is no side door.
    limit: SignInLimit = request.app.state.sign_in_limit
    limit.hit(request.client.host if request.client else "unknown", username)
    user = authenticate(session, username, password)
    if user is None:
        context = {"next": _safe_next(next), "error": "Wrong username or password."}
        return render(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    write_session(request, response, new_session(user.id))
    return response


@router.post("/logout")
def logout(request: Request, _: Csrf) -> Response:
    """End the session."""
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="lax")
    return response


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: Annotated[User, Depends(console_user)]) -> Response:
    """Where each role starts: reps are pointed to the phone app."""
    if user.role == Role.rep:
        return render(request, "phone.html", {})
    if user.role == Role.planner:
        return RedirectResponse("/console/coverage", status_code=303)
    return RedirectResponse("/console/shelf-share", status_code=303)
