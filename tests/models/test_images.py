"""Image checks: only whole JPEG, PNG and WebP images of a sane size pass."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from models.errors import DomainError, PayloadTooLarge
from models.images import ImageInfo, ImageTooLarge, NotAnImage, TruncatedImage, inspect_image
from tests.factories.catalogue import image_bytes, png_header

MB = 1024 * 1024
PNG = image_bytes("PNG", (640, 480))
JPEG = image_bytes("JPEG", (640, 480))
WEBP = image_bytes("WEBP", (640, 480))


def _flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("data", "max_bytes", "error"),
    [
        pytest.param(b"", MB, NotAnImage, id="empty"),
        pytest.param(b"hello, world", MB, NotAnImage, id="text"),
        pytest.param(image_bytes("GIF"), MB, NotAnImage, id="gif"),
        pytest.param(image_bytes("BMP"), MB, NotAnImage, id="bmp"),
        pytest.param(PNG[:30], MB, NotAnImage, id="png-header-only"),
        pytest.param(PNG[: len(PNG) // 2], MB, TruncatedImage, id="png-half"),
        pytest.param(PNG[:-12], MB, TruncatedImage, id="png-without-end"),
        pytest.param(_flipped(PNG, len(PNG) // 2), MB, TruncatedImage, id="png-corrupt"),
        pytest.param(JPEG[: len(JPEG) // 2], MB, TruncatedImage, id="jpeg-half"),
        pytest.param(JPEG[:-20], MB, TruncatedImage, id="jpeg-without-end"),
        pytest.param(WEBP[: len(WEBP) // 2], MB, NotAnImage, id="webp-half"),
        pytest.param(png_header(30_000, 30_000), MB, ImageTooLarge, id="bomb-past-pillow"),
        pytest.param(png_header(8_000, 8_000), MB, ImageTooLarge, id="bomb-past-our-cap"),
        pytest.param(png_header(2**31 - 1, 1), MB, ImageTooLarge, id="bomb-one-row"),
        pytest.param(PNG, len(PNG) - 1, PayloadTooLarge, id="one-byte-over"),
        pytest.param(b"x" * 2 * MB, MB, PayloadTooLarge, id="oversized-not-an-image"),
    ],
)
def test_refused(data: bytes, max_bytes: int, error: type[DomainError]) -> None:
    with pytest.raises(error):
        inspect_image(data, max_bytes=max_bytes)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(PNG, ImageInfo(640, 480, "image/png"), id="png"),
        pytest.param(JPEG, ImageInfo(640, 480, "image/jpeg"), id="jpeg"),
        pytest.param(WEBP, ImageInfo(640, 480, "image/webp"), id="webp"),
        pytest.param(image_bytes("PNG", (1, 1)), ImageInfo(1, 1, "image/png"), id="one-pixel"),
    ],
)
def test_accepted(data: bytes, expected: ImageInfo) -> None:
    assert inspect_image(data, max_bytes=len(data)) == expected


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (NotAnImage, 415, "not-an-image"),
        (TruncatedImage, 422, "truncated-image"),
        (ImageTooLarge, 422, "image-too-large"),
        (PayloadTooLarge, 413, "payload-too-large"),
    ],
)
def test_problem_types_are_stable(error: type[DomainError], status: int, kind: str) -> None:
    assert (error.status, error.type) == (status, kind)


def test_pillow_warning_range_is_refused_whatever_the_cap() -> None:
    # Between Pillow's warning and its error: the warning alone must not let the image in.
    side = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 100

    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ImageTooLarge):
        inspect_image(png_header(side, side), max_bytes=MB, max_pixels=10**12)


def test_extension_follows_the_content_type() -> None:
    assert [ImageInfo(1, 1, t).extension for t in ("image/jpeg", "image/png", "image/webp")] == [
        "jpg",
        "png",
        "webp",
    ]


def _jpeg_with_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:11:28 09:15:02"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", (48.0, 51.0, 36.0)
    gps[3], gps[4] = "W", (2.0, 21.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(("orientation", "size"), [(1, (640, 480)), (6, (480, 640))])
def test_size_follows_exif_orientation_and_evidence_is_kept(
    orientation: int, size: tuple[int, int]
) -> None:
    info = inspect_image(_jpeg_with_exif(orientation), max_bytes=MB)

    assert (info.width, info.height) == size
    assert info.evidence == {
        "taken_at": "2026-11-28T09:15:02",
        "gps": {"lat": 48.86, "lon": -2.35},
    }


def test_heic_from_phones_is_accepted() -> None:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "orange").save(out, format="HEIF")

    info = inspect_image(out.getvalue(), max_bytes=MB)

    assert (info.width, info.height, info.content_type) == (320, 240, "image/heic")
