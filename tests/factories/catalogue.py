"""Brands, categories, SKUs, image bytes, and an S3 server on loopback for tests."""

from __future__ import annotations

import io
import os
import struct
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlmodel import Session

from models.catalogue import Brand, Category, Sku
from models.cluster import free_port

S3_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    def store_url(self) -> str:
        """A photo store URL under a prefix of its own, so tests never see each other's keys."""
        return f"s3://{self.bucket}/{uuid.uuid4().hex}"


def create_brand(
    session: Session, *, code: str | None = None, name: str = "Brand", own: bool = False
) -> Brand:
    brand = Brand(code=code or f"B-{uuid.uuid4().hex[:8]}", name=name, own=own)
    session.add(brand)
    session.flush()
    return brand


def create_category(
    session: Session, *, code: str | None = None, name: str = "Category"
) -> Category:
    category = Category(code=code or f"C-{uuid.uuid4().hex[:8]}", name=name)
    session.add(category)
    session.flush()
    return category


def create_sku(
    session: Session,
    *,
    code: str | None = None,
    name: str = "Sku",
    brand: Brand | None = None,
    category: Category | None = None,
    ean: str | None = None,
    rrp: Decimal | None = None,
    active: bool = True,
) -> Sku:
    """An SKU; a brand and a category of its own when none is given."""
    sku = Sku(
        code=code or f"S-{uuid.uuid4().hex[:8]}",
        name=name,
        brand_id=(brand or create_brand(session)).id,
        category_id=(category or create_category(session)).id,
        ean=ean,
        rrp=rrp,
        active=active,
    )
    session.add(sku)
    session.flush()
    return sku


def image_bytes(
    image_format: str = "PNG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 30, 40),
) -> bytes:
    """A real image of one colour, encoded in the given Pillow format."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, image_format)
    return buffer.getvalue()


def noise_image(image_format: str = "PNG", size: tuple[int, int] = (200, 200)) -> bytes:
    """A real image of random pixels: it barely compresses, so its size is about w x h x 3."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, image_format)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG claiming the given size: a real header, an empty image stream, the end."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@contextmanager
def moto_s3() -> Iterator[S3Server]:
    """An S3 server speaking HTTP on loopback, with a bucket.

    Credentials are fake ones in the environment, where boto3 looks for them, for as long as
    the server runs.
    """
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # Servers in one process share moto's state: a bucket per server keeps them apart.
    server_info = S3Server(f"http://127.0.0.1:{port}", f"fieldsales-test-{port}")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_PROFILE", raising=False)
        boto3.session.Session().client(
            "s3", endpoint_url=server_info.endpoint_url, region_name=S3_REGION
        ).create_bucket(Bucket=server_info.bucket)
        try:
            yield server_info
        finally:
            server.stop()
