"""Checks on uploaded images: what they are, and whether they are whole and safe to decode."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from models.errors import Invalid, PayloadTooLarge

# Pillow warns past Image.MAX_IMAGE_PIXELS (about 89 Mpx) and refuses past twice that. Our cap
# sits below its warning, so an image that claims too many pixels is refused from its header,
# before a byte of it is decoded. 50 Mpx is more than any phone camera's default mode.
MAX_PIXELS = 50_000_000
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class NotAnImage(Invalid):
    type = "not-an-image"
    title = "Not an image"


class ImageTooLarge(Invalid):
    type = "image-too-large"
    title = "Image too large"


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    content_type: str

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
    info = ImageInfo(image.width, image.height, CONTENT_TYPES[str(image.format)])
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if info.width * info.height > limit:
        raise ImageTooLarge(
            f"The image is {info.width}x{info.height} pixels; at most {limit} pixels are accepted.",
            max_pixels=limit,
        )
    _check_whole(data, str(image.format))
    return info


def _open(data: bytes) -> Image.Image:
    """The image with only its header read."""
    try:
        return Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image declares too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("This is not a JPEG, PNG or WebP image.") from exc


def _check_whole(data: bytes, image_format: str) -> None:
    """Read to the end, so a truncated upload fails here and not later in recognition."""
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
        if image_format == "PNG":
            # Walks every chunk and checks its CRC without inflating the pixels.
            image.verify()
        else:
            # JPEG carries no checksum and WebP no end marker: decode, JPEG at 1/8 scale,
            # which still reads every byte of the entropy-coded data but costs little.
            image.draft(None, (image.width // 8, image.height // 8))
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("The image is truncated or corrupt.") from exc
