"""The photo store: one contract, kept by the folder store and by S3 over real HTTP."""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from models.cluster import free_port
from models.errors import NotFound, Unavailable
from models.settings import Settings
from models.storage import LocalStore, PhotoStore, S3Store, make_store
from tests.factories.catalogue import S3_REGION, S3Server, moto_s3

KEY = "sku-images/a/b.png"


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture(scope="session")
def s3_shared(s3: S3Server) -> S3Store:
    # One client for the contract tests: building one parses the whole S3 model (~0.3 s).
    store = s3_store(s3)
    assert isinstance(store, S3Store)
    return store


def s3_store(s3: S3Server, endpoint_url: str | None = None) -> PhotoStore:
    return make_store(
        Settings(
            photo_store=s3.store_url(),
            s3_endpoint_url=endpoint_url or s3.endpoint_url,
            s3_region=S3_REGION,
        )
    )


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    if request.param == "folder":
        return make_store(Settings(photo_store=str(tmp_path / "photos")))
    shared: S3Store = request.getfixturevalue("s3_shared")
    return S3Store(shared.client, shared.bucket, prefix=uuid.uuid4().hex)


def test_put_then_get_gives_the_bytes_back(store: PhotoStore) -> None:
    store.put(KEY, b"\x89PNG one", "image/png")

    assert store.get(KEY) == b"\x89PNG one"


def test_put_again_replaces(store: PhotoStore) -> None:
    store.put(KEY, b"first", "image/png")
    store.put(KEY, b"second", "image/png")

    assert store.get(KEY) == b"second"


def test_exists_follows_put_and_delete(store: PhotoStore) -> None:
    before = store.exists(KEY)
    store.put(KEY, b"x", "image/png")
    stored = store.exists(KEY)
    store.delete(KEY)

    assert (before, stored, store.exists(KEY)) == (False, True, False)


def test_missing_key_is_not_found(store: PhotoStore) -> None:
    with pytest.raises(NotFound):
        store.get("sku-images/missing.png")


def test_deleting_a_missing_key_is_quiet(store: PhotoStore) -> None:
    store.delete("sku-images/missing.png")

    assert not store.exists("sku-images/missing.png")


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../escape", "a/../../escape", "a//b", ".hidden", "a/.x", "a b"]
)
def test_keys_outside_the_pattern_are_refused(store: PhotoStore, key: str) -> None:
    with pytest.raises(ValueError, match="Not a store key"):
        store.put(key, b"x", "image/png")


@pytest.mark.parametrize(
    ("photo_store", "expected"),
    [
        ("", ("LocalStore", "data/photos")),
        ("elsewhere/photos", ("LocalStore", "elsewhere/photos")),
        ("s3://bucket", ("S3Store", "bucket:")),
        ("s3://bucket/shop/photos/", ("S3Store", "bucket:shop/photos")),
    ],
)
def test_make_store_follows_the_url(
    photo_store: str, expected: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = make_store(
        Settings(photo_store=photo_store, data_dir=Path("data"), s3_region="eu-west-1")
    )

    if isinstance(store, LocalStore):
        assert ("LocalStore", str(store.root.relative_to(tmp_path))) == expected
    else:
        assert isinstance(store, S3Store)
        assert ("S3Store", f"{store.bucket}:{store.prefix}") == expected


def test_s3_url_without_a_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match=r"s3://bucket/prefix"):
        make_store(Settings(photo_store="s3:///photos"))


def _fail_fsync(code: int) -> Callable[[int], None]:
    def fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    return fsync


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        (errno.ENOSPC, "The photo store is full; nothing was saved. Try again later."),
        (
            errno.EIO,
            "The photo store could not be written to (Input/output error). Try again later.",
        ),
    ],
)
def test_failed_folder_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, detail: str
) -> None:
    store = LocalStore(tmp_path)
    store.put(KEY, b"old and whole", "image/png")
    monkeypatch.setattr(os, "fsync", _fail_fsync(code))

    with pytest.raises(Unavailable) as caught:
        store.put(KEY, b"new", "image/png")

    monkeypatch.undo()
    assert (caught.value.detail, caught.value.headers) == (detail, {"Retry-After": "30"})
    assert store.get(KEY) == b"old and whole"
    assert [p.name for p in (tmp_path / "sku-images/a").iterdir()] == ["b.png"]


@pytest.mark.parametrize(
    "operation",
    [
        lambda store: store.put(KEY, b"x", "image/png"),
        lambda store: store.get(KEY),
    ],
    ids=["put", "get"],
)
def test_folder_that_is_a_file_is_unavailable(
    tmp_path: Path, operation: Callable[[PhotoStore], object]
) -> None:
    (tmp_path / "photos").write_text("not a folder")

    with pytest.raises(Unavailable) as caught:
        operation(LocalStore(tmp_path / "photos"))

    assert caught.value.headers == {"Retry-After": "30"}


def test_s3_keeps_keys_under_the_prefix_with_their_content_type(
    s3: S3Server, s3_shared: S3Store
) -> None:
    store = s3_shared

    store.put(KEY, b"x", "image/webp")

    head = store.client.head_object(Bucket=s3.bucket, Key=f"{store.prefix}/{KEY}")
    assert head["ContentType"] == "image/webp"


OPERATIONS: list[Callable[[PhotoStore], object]] = [
    lambda store: store.put(KEY, b"x", "image/png"),
    lambda store: store.get(KEY),
    lambda store: store.exists(KEY),
    lambda store: store.delete(KEY),
]
OPERATION_IDS = ["put", "get", "exists", "delete"]


@pytest.fixture(scope="session")
def s3_closed(s3: S3Server) -> PhotoStore:
    """A store whose endpoint is a port nobody listens on."""
    return s3_store(s3, endpoint_url=f"http://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_s3_on_a_closed_port_is_unavailable(
    s3_closed: PhotoStore, operation: Callable[[PhotoStore], object]
) -> None:
    with pytest.raises(Unavailable) as caught:
        operation(s3_closed)

    assert caught.value.headers == {"Retry-After": "30"}


def test_s3_server_stopped_after_a_write_is_unavailable() -> None:
    with moto_s3() as server:
        store = s3_store(server)
        store.put(KEY, b"x", "image/png")

    with pytest.raises(Unavailable):
        store.get(KEY)


@pytest.mark.parametrize(
    ("method", "code", "status", "error"),
    [
        ("get_object", "NoSuchKey", 404, NotFound),
        ("get_object", "SlowDown", 503, Unavailable),
        ("put_object", "InternalError", 500, Unavailable),
        ("put_object", "ServiceUnavailable", 503, Unavailable),
        ("put_object", "RequestTimeout", 400, Unavailable),
        ("put_object", "TooManyRequests", 429, Unavailable),
        ("put_object", "AccessDenied", 403, ClientError),
        ("put_object", "NoSuchBucket", 404, ClientError),
    ],
)
def test_s3_answers_become_ours(
    s3_shared: S3Store, method: str, code: str, status: int, error: type[Exception]
) -> None:
    store = s3_shared
    operation = OPERATIONS[0] if method == "put_object" else OPERATIONS[1]

    stub = Stubber(store.client)
    stub.add_client_error(method, service_error_code=code, http_status_code=status)

    with stub, pytest.raises(error):
        operation(store)
