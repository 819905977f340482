"""Offline batch sync for phones that were out of network."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, SettingsDep, StoreDep
from api.problems import problem_responses
from models import sync
from models.sync import OperationResult, SyncBatch

router = APIRouter(prefix="/v1", tags=["visits"])


class SyncResults(BaseModel):
    results: list[OperationResult]


@router.post("/sync", response_model=SyncResults, responses=problem_responses(401, 422))
def sync_batch(
    body: SyncBatch, user: CurrentUser, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> SyncResults:
    """Apply an ordered batch of offline operations; a result per operation, safe to replay."""
    return SyncResults(results=sync.apply_batch(session, settings, store, user, body))
