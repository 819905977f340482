"""Checks on uploaded images: what they are, and whether they are whole and safe to decode."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pillow_heif
from PIL import ExifTags, Image

from models.errors import DomainError, Invalid, PayloadTooLarge

pillow_heif.register_heif_opener()

# Pillow warns past Image.MAX_IMAGE_PIXELS (about 89 Mpx) and refuses past twice that. Our cap
# sits below its warning, so an image that claims too many pixels is refused from its header,
# before a byte of it is decoded. 50 Mpx is more than any phone camera's default mode.
MAX_PIXELS = 50_000_000
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
# EXIF orientations 5 to 8 turn the picture a quarter: width and height swap.
QUARTER_TURNS = {5, 6, 7, 8}


class NotAnImage(DomainError):
    status = 415
    type = "not-an-image"
    title = "Not a supported image"


class TruncatedImage(Invalid):
    type = "truncated-image"
    title = "Truncated image"


class ImageTooLarge(Invalid):
    type = "image-too-large"
    title = "Image too large"


@dataclass(frozen=True)
class ImageInfo:
    """An image as it is meant to be seen: width and height after its EXIF orientation."""

    width: int
    height: int
    content_type: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def inspect_image(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """What the bytes are, refusing all but a whole JPEG, PNG or WebP of a sane size.

    Raises:
        PayloadTooLarge: more than ``max_bytes`` bytes.
        ImageTooLarge: more than ``max_pixels`` pixels, or past Pillow's own bomb limit.
        NotAnImage: not one of the three formats, or truncated or corrupt.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The upload is larger than {max_bytes} bytes.", max_bytes=max_bytes)
    image = _open(data)
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if image.width * image.height > limit:
        raise ImageTooLarge(
            f"The image is {image.width}x{image.height} pixels; at most {limit} are accepted.",
            max_pixels=limit,
        )
    _check_whole(data, str(image.format))
    exif = image.getexif()
    turned = exif.get(ExifTags.Base.Orientation) in QUARTER_TURNS
    width, height = (image.height, image.width) if turned else (image.width, image.height)
    return ImageInfo(width, height, CONTENT_TYPES[str(image.format)], _evidence(exif))


def _open(data: bytes) -> Image.Image:
    """The image with only its header read."""
    try:
        return Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image declares too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("This is not a JPEG, PNG, WebP or HEIC image.") from exc


def _check_whole(data: bytes, image_format: str) -> None:
    """Read to the end, so a truncated upload fails here and not later in recognition."""
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
        if image_format == "PNG":
            # Walks every chunk and checks its CRC without inflating the pixels.
            image.verify()
        else:
            # JPEG carries no checksum and WebP no end marker: decode, JPEG at 1/8 scale,
            # which still reads every byte of the entropy-coded data but costs little
            # (HEIC decodes whole: its container says nothing of a cut-off payload).
            image.draft(None, (image.width // 8, image.height // 8))
            image.load()
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise TruncatedImage("The image is truncated or corrupt.") from exc


def _evidence(exif: Image.Exif) -> dict[str, Any]:
    """What the camera recorded that proves where and when: capture time and GPS position."""
    found: dict[str, Any] = {}
    details = exif.get_ifd(ExifTags.IFD.Exif)
    taken = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if isinstance(taken, str):
        try:
            found["taken_at"] = datetime.strptime(taken.strip(), "%Y:%m:%d %H:%M:%S").isoformat()
        except ValueError:
            pass
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat, lon = _degrees(gps, 2, 1), _degrees(gps, 4, 3)
    if lat is not None and lon is not None:
        found["gps"] = {"lat": round(lat, 7), "lon": round(lon, 7)}
    return found


def _degrees(gps: dict[int, Any], value_tag: int, ref_tag: int) -> float | None:
    """A GPS coordinate from its degrees/minutes/seconds and hemisphere tags."""
    try:
        d, m, s = (float(part) for part in gps[value_tag])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1 if str(gps.get(ref_tag, "N")).upper() in ("S", "W") else 1
    return sign * (d + m / 60 + s / 3600)
