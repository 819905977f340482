"""The baseline for bench/checkin.py: the same insert through bare Starlette + asyncpg.

No auth, no validation beyond JSON parsing, no scoping, no geofence: only the HTTP round trip
and one INSERT ... ON CONFLICT DO NOTHING, which bounds what the real endpoint can reach.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

INSERT = """
INSERT INTO bench_visit (id, outlet_id, started_at, location)
VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326))
ON CONFLICT (id) DO NOTHING
"""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["BASELINE_DSN"], min_size=4, max_size=16)
    yield
    await app.state.pool.close()


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def check_in(request: Request) -> JSONResponse:
    body = await request.json()
    location = body["location"]
    await request.app.state.pool.execute(
        INSERT,
        uuid.UUID(body["id"]),
        uuid.UUID(body["outlet_id"]),
        datetime.fromisoformat(body["started_at"]),
        location["lon"],
        location["lat"],
    )
    return JSONResponse({"id": body["id"]}, status_code=201)


app = Starlette(
    routes=[Route("/healthz", healthz), Route("/v1/visits", check_in, methods=["POST"])],
    lifespan=lifespan,
)
