"""Photo analysis jobs."""

from __future__ import annotations

import uuid

import procrastinate
from sqlmodel import Session

from jobs.queue import defer

QUEUE = "photos"


def queue_analysis(app: procrastinate.App, session: Session, photo_id: uuid.UUID) -> int:
    """Queue a photo's analysis in the caller's transaction (it commits with the photo)."""
    return defer(app, session, "analyse_photo", queue=QUEUE, photo_id=str(photo_id))
