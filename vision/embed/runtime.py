"""The pack embedder at run time: onnxruntime, numpy and Pillow only (no torch).

embedder = PackEmbedder()  # once per process: builds the onnxruntime session
vectors = embedder.boxes(photo, product_xyxy)  # (N, 128), unit length
vectors = embedder.images(reference_packs)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.embed.crops import crop_boxes, image_crops
from vision.session import MODELS_DIR, load_session

DEFAULT_EMBEDDER = MODELS_DIR / "embedder.onnx"
BATCH = 64
"""Crops per `session.run`: a dense shelf in one call, its memory bounded."""


class PackEmbedder:
    """The embedder's ONNX session and its input size, loaded once.

    Args:
        path: The .onnx file; its `<stem>.json` sidecar gives the version.
        threads: onnxruntime intra-op threads.

    Raises:
        FileNotFoundError: The model file is missing.
        ValueError: The model's input is not a fixed (N, 3, H, W) size.
    """

    def __init__(self, path: str | Path = DEFAULT_EMBEDDER, *, threads: int = 1) -> None:
        self.model = load_session(path, threads=threads)
        if self.model.input_hw is None:
            raise ValueError(f"{path}: the embedder needs a fixed input size")
        self.height, self.width = self.model.input_hw
        self.version = str(self.model.metadata.get("version", Path(path).stem))

    def __call__(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Embeddings (N, D) of crops (N, height, width, 3) uint8 RGB."""
        if pixels.shape[1:] != (self.height, self.width, 3):
            raise ValueError(
                f"pixels must have shape (N, {self.height}, {self.width}, 3), got {pixels.shape}"
            )
        outs = [
            np.asarray(self.model.run(_planar(pixels[i : i + BATCH]))[0], np.float32)
            for i in range(0, len(pixels), BATCH)
        ]
        if not outs:
            dim = int(self.model.session.get_outputs()[0].shape[-1])
            return np.zeros((0, dim), np.float32)
        return np.concatenate(outs)

    def boxes(self, image: Image.Image, xyxy: NDArray[np.floating]) -> NDArray[np.float32]:
        """Embeddings (N, D) of the boxes (N, 4) cut out of an RGB `image`."""
        return self(crop_boxes(image, xyxy, (self.width, self.height)))

    def images(self, images: list[Image.Image]) -> NDArray[np.float32]:
        """Embeddings (N, D) of whole images (transparent surroundings become grey)."""
        return self(image_crops(images, (self.width, self.height)))


def _planar(pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
    out = np.empty((len(pixels), 3, *pixels.shape[1:3]), np.float32)
    np.multiply(pixels.transpose(0, 3, 1, 2), np.float32(1 / 255), out=out)
    return out
