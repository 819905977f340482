"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from api.deps import get_engine
from api.problems import problem_response, problem_responses
from models.health import database_checks

router = APIRouter(tags=["ops"])


class CheckResult(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: str
    checks: list[CheckResult]


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def readyz(request: Request, engine: Engine = Depends(get_engine)) -> Readiness | JSONResponse:
    """Ready to serve: database reachable with PostGIS, schema at the newest migration."""
    checks = [CheckResult(**vars(check)) for check in database_checks(engine)]
    if all(check.ok for check in checks):
        return Readiness(status="ready", checks=checks)
    failed = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
    return problem_response(
        request,
        status=503,
        kind="not-ready",
        title="Not ready",
        detail=failed,
        checks=[check.model_dump() for check in checks],
    )
