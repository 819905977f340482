"""The photo store failing under an upload: a clean 503 with Retry-After, nothing half-written,
and the same upload accepted once the store is back. A full disk says so, and leaves no file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sqlalchemy import text
from sqlmodel import Session

from api import tokens
from api.app import create_app
from models.cluster import free_port
from models.settings import Settings
from tests.factories.catalogue import S3_REGION, noise_image
from tests.hardening.conftest import World, build_world
from tests.overrides import on_session

PHOTO = noise_image("JPEG", (400, 300))
MakeClient = Callable[..., TestClient]


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def make_client(settings: Settings, session: Session) -> Iterator[MakeClient]:
    """Clients of apps whose settings differ from the test's by ``changes``."""
    with ExitStack() as stack:

        def make(**changes: Any) -> TestClient:
            app = create_app(settings.model_copy(update=changes))

            def test_session() -> Iterator[Session]:
                with session.begin_nested():
                    yield session

            on_session(app, test_session)
            return stack.enter_context(TestClient(app))

        yield make


def upload(client: TestClient, world: World) -> Any:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    token = tokens.issue(settings, world.users["rep"]).access_token
    return client.post(
        f"/v1/visits/{world.ids['visit_id'][0]}/photos",
        files={"file": ("shelf.jpg", PHOTO, "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
    )


def kept(session: Session) -> tuple[int, int]:
    """Photos beyond the world's own one, and queued analyses."""
    photos = session.execute(text("SELECT count(*) - 1 FROM photo")).scalar()
    jobs = session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar()
    return int(photos or 0), int(jobs or 0)


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def assert_unavailable(response: Any, detail: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:fieldsales:problem:unavailable"
    assert detail in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0


def test_s3_down_then_back(
    make_client: MakeClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    port = free_port()
    endpoint, bucket = f"http://127.0.0.1:{port}", f"fieldsales-faults-{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = make_client(
        photo_store=f"s3://{bucket}/photos", s3_endpoint_url=endpoint, s3_region=S3_REGION
    )
    store = client.app.state.photo_store  # type: ignore[attr-defined]
    store.client.create_bucket(Bucket=bucket)
    server.stop()

    down = upload(client, world)
    after_down = kept(session)
    # moto keeps its buckets in the process, so the restarted server has the same one.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        back = upload(client, world)
        objects = store.client.list_objects_v2(Bucket=bucket).get("Contents", [])
    finally:
        server.stop()

    assert_unavailable(down, "cannot be reached")
    assert after_down == (0, 0)
    assert back.status_code == 202
    assert kept(session) == (1, 1)
    assert [o["Size"] for o in objects] == [len(PHOTO)]


def test_folder_store_unwritable_then_fixed(
    make_client: MakeClient, session: Session, world: World, tmp_path: Path
) -> None:
    # The store's folder is missing and a file sits where it should be (an unmounted volume
    # leaves the same picture): nothing can be written under it.
    root = tmp_path / "photos"
    root.write_text("not a folder")
    client = make_client(photo_store=str(root))

    down = upload(client, world)
    after_down = kept(session)
    root.unlink()
    back = upload(client, world)

    assert_unavailable(down, "could not be written to")
    assert after_down == (0, 0)
    assert back.status_code == 202
    assert kept(session) == (1, 1)
    assert [p.read_bytes() for p in files(root)] == [PHOTO]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk (needs the right to mount; skipped without it)."""
    root = tmp_path / "tiny"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(root)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root; the file-size-limit test covers this")
    try:
        yield root
    finally:
        subprocess.run(["umount", str(root)], check=True)


def test_full_disk_refuses_the_upload_and_keeps_no_partial_file(
    make_client: MakeClient, session: Session, world: World, tiny_disk: Path
) -> None:
    assert len(PHOTO) > 64 * 1024
    client = make_client(photo_store=str(tiny_disk / "photos"))

    response = upload(client, world)

    assert_unavailable(response, "The photo store is full; nothing was saved.")
    assert kept(session) == (0, 0)
    assert files(tiny_disk) == []


WRITE_UNDER_A_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from models.errors import Unavailable
from models.storage import LocalStore

# Over the limit a write fails with EFBIG instead of the process being killed by SIGXFSZ.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))
try:
    LocalStore(Path(sys.argv[1])).put("photos/v/p.jpg", b"x" * 100_000, "image/jpeg")
except Unavailable as exc:
    print(exc.detail, exc.headers["Retry-After"])
"""


def test_file_size_limit_is_a_full_store_with_no_partial_file(tmp_path: Path) -> None:
    root = tmp_path / "photos"

    result = subprocess.run(
        [sys.executable, "-c", WRITE_UNDER_A_SIZE_LIMIT, str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
        env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[2])},
    )

    assert (
        result.stdout.strip() == "The photo store is full; nothing was saved. Try again later. 30"
    )
    assert files(root) == []
