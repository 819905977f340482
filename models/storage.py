"""The photo store: bytes by key, in a local folder or an S3 bucket, built once per process."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError

from models.errors import NotFound, NotSupported, Unavailable
from models.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("fieldsales.storage")
RETRY_AFTER_SECONDS = 30
# Keys are made by the service ("sku-images/<uuid>/<uuid>.png"). No segment may start with a
# dot: that rules out "..", so a key never names a file outside the folder, and it keeps keys
# apart from the folder store's hidden drafts.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


class PhotoStore(Protocol):
    """Bytes by key. A write is all or nothing; a store that cannot answer raises Unavailable."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def presign_put(self, key: str, content_type: str, expires_s: int) -> str:
        """A URL the phone can PUT the bytes to directly; a store without one refuses."""
        ...


def checked_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"Not a store key: {key!r}.")
    return key


def unavailable(detail: str) -> Unavailable:
    return Unavailable(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class LocalStore:
    """A folder with one file per key: one machine, or several sharing a volume."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        except OSError as exc:
            raise _folder_failed(exc, "written to") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"Nothing is stored under {key}.") from exc
        except OSError as exc:
            raise _folder_failed(exc, "read") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _folder_failed(exc, "written to") from exc

    def presign_put(self, key: str, content_type: str, expires_s: int) -> str:
        raise NotSupported(
            "Presigned uploads need the S3 photo store; upload the photo to the visit instead."
        )


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a draft beside the file, sync it, rename it over: readers never see half a file."""
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(draft, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(draft)
        raise
    # The rename itself is only durable once the folder's entry is on disk too.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _folder_failed(exc: OSError, doing: str) -> Unavailable:
    log.error("photo store folder could not be %s: %s", doing, exc)
    # No room for these bytes: the disk, the user's quota or the file-size limit.
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return unavailable("The photo store is full; nothing was saved. Try again later.")
    return unavailable(f"The photo store could not be {doing} ({exc.strerror}). Try again later.")


class S3Store:
    """A bucket and a key prefix, on AWS or any S3-compatible service."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(
        cls, url: str, *, endpoint_url: str | None = None, region: str | None = None
    ) -> S3Store:
        """The store an ``s3://bucket/prefix`` URL names."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"An S3 photo store is s3://bucket/prefix, not {url!r}.")
        return cls(s3_client(endpoint_url, region), parts.netloc, parts.path)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{checked_key(key)}" if self.prefix else checked_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with _s3_errors(key):
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        with _s3_errors(key):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        with _s3_errors(key):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return False
                raise
        return True

    def delete(self, key: str) -> None:
        with _s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def presign_put(self, key: str, content_type: str, expires_s: int) -> str:
        # Signing is local: no request to S3 happens here. The Content-Type is signed, so the
        # phone must send exactly the type it announced.
        return self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": self._key(key), "ContentType": content_type},
            ExpiresIn=expires_s,
        )


def s3_client(endpoint_url: str | None, region: str | None) -> S3Client:
    # A session of its own: boto3's default session is shared and not safe to use across threads.
    # Short connect timeout and few retries: a phone waiting on an upload should hear "try
    # again" within seconds rather than hang.
    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"total_max_attempts": 3, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=config
    )


@contextlib.contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    """S3's failures in our terms: a missing key is a 404, an unreachable or failing service 503.

    Other client errors (no such bucket, access denied) are configuration mistakes and stay
    unhandled, so they are logged as such.
    """
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in ("NoSuchKey", "NotFound", "404"):
            raise NotFound(f"Nothing is stored under {key}.") from exc
        if status >= 500 or status == 429 or code == "RequestTimeout":
            log.error("photo store S3 failed on %s: %s", key, exc)
            raise unavailable("The photo store is not answering; try again later.") from exc
        raise
    except (BotoConnectionError, HTTPClientError, IncompleteReadError) as exc:
        log.error("photo store S3 unreachable on %s: %s", key, exc)
        raise unavailable("The photo store cannot be reached; try again later.") from exc


def make_store(settings: Settings) -> PhotoStore:
    """The store the settings name: ``s3://bucket/prefix`` or a folder."""
    url = settings.photo_store_url
    if url.startswith("s3://"):
        return S3Store.from_url(
            url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        )
    return LocalStore(Path(url).resolve())
