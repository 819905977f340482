"""Decoding a photo for analysis: checked, EXIF-oriented, JPEGs draft-decoded.

Every way an upload can be unusable ends in one `BadImage` subclass with a clear
message, never a crash or a hang: not an image, truncated or corrupt, or declaring so
many pixels that decoding it would be a decompression bomb.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

try:  # HEIC from iPhones; pillow-heif is a runtime dependency, but vision runs without it
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover
    pass

MAX_PIXELS = 80_000_000
"""Photos declaring more pixels are refused before decoding (50 MP phone photos pass;
Pillow itself warns from about 89 MP)."""
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_TURNS = frozenset({2, 3, 4, 5, 6, 7, 8})


class BadImage(ValueError):
    """The bytes cannot be analysed as a photo."""


class NotAnImage(BadImage):
    """Not an image format Pillow can read."""


class TruncatedImage(BadImage):
    """An image whose data stops early or is corrupt."""


class ImageTooLarge(BadImage):
    """An image declaring more than `MAX_PIXELS` pixels (a decompression bomb, maybe)."""


@dataclass(frozen=True)
class Decoded:
    """A photo ready for analysis.

    Attributes:
        image: RGB, EXIF orientation applied, possibly reduced (JPEG draft decoding);
            a given image itself where it is already upright RGB.
        size: (width, height) of the full photo after EXIF orientation.
    """

    image: Image.Image
    size: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """Full-photo pixels per decoded pixel, (x, y)."""
        return self.size[0] / self.image.width, self.size[1] / self.image.height


def _open(data: bytes | str | Path) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"the image declares too many pixels: {exc}") from exc
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise NotAnImage("not an image Pillow can read (JPEG, PNG, WebP, HEIC...)") from exc


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) after EXIF orientation, from the header alone."""
    w, h = image.size
    return (h, w) if image.getexif().get(0x0112) in _QUARTER_TURNS else (w, h)


def decode(
    data: bytes | str | Path | Image.Image, *, min_side: int = 1280, max_pixels: int = MAX_PIXELS
) -> Decoded:
    """Decode a photo for analysis.

    JPEGs are decoded at the smallest DCT scale (1/2, 1/4, 1/8) that keeps both sides
    at least `min_side` px (or the full size when smaller): a 12 MP photo decodes at
    2000x1500 in about half the time of a full decode.

    Args:
        data: Encoded bytes, a path, or an already decoded image.
        min_side: Smallest side wanted from a draft decode, px; 0 decodes at full size.
        max_pixels: Refuse images declaring more pixels than this.

    Raises:
        NotAnImage: The bytes are not a readable image.
        TruncatedImage: The image data ends early or is corrupt.
        ImageTooLarge: More than `max_pixels` pixels are declared.
    """
    image = data if isinstance(data, Image.Image) else _open(data)
    w, h = image.size
    if w * h > max_pixels:  # before anything reads past the header (PNG EXIF may)
        raise ImageTooLarge(f"the image is {w}x{h} px; at most {max_pixels} pixels are analysed")
    try:
        size = oriented_size(image)
        if min_side and image.format == "JPEG":
            image.draft("RGB", (min_side, min_side))
        image.load()
        if image.getexif().get(0x0112, 1) in _TURNS:  # else no copy: the photo is upright
            image = ImageOps.exif_transpose(image)
        rgb = image if image.mode == "RGB" else image.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"the image declares too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise TruncatedImage(f"the image is truncated or corrupt: {exc}") from exc
    return Decoded(rgb, size)
