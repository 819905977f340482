"""A photo's analysis by a real worker rescores its visit: shelf complete, score stored."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from models.perfect_store import VisitScore
from models.visits import Photo
from tests.factories.users import sign_in
from tests.jobs import test_analyse_photo
from tests.jobs.test_analyse_photo import run_worker, shelf_jpeg, upload, world

__all__ = ["world"]
pytestmark = test_analyse_photo.pytestmark  # the same model the pipeline test needs


def test_an_analysed_photo_scores_its_visit(world: dict[str, Any]) -> None:
    with TestClient(create_app(world["settings"])) as client:
        photo_id = upload(
            client, sign_in(client, world["rep"]), world["outlets"][0].id, shelf_jpeg(3)[0]
        )
    run_worker(world["settings"])

    with Session(world["engine"]) as session:
        photo = session.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        score = session.get(VisitScore, photo.visit_id)

    assert score is not None
    assert score.shelf == "complete"
    # An analysed photo is evidence (display and price tag then apply); a rejected one is not.
    assert (score.score is not None) == (photo.status == "analysed")
