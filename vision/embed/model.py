"""The pack embedder: a small depthwise-separable CNN to a 128-d unit vector (torch).

Input (N, 3, HEIGHT, WIDTH) RGB in [0, 1], output (N, DIM) L2-normalised. Each image is
standardised first (its own mean and spread over all pixels and channels), which cancels
exposure and contrast but keeps the colour relations a variant's band differs by. The
last feature map (4 x 2 cells) is flattened, not pooled, so where a band or a logo sits
on the pack stays in the embedding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vision.embed.crops import HEIGHT, WIDTH

DIM = 128


def _bn_act(c: int, act: bool = True) -> list[nn.Module]:
    return [nn.BatchNorm2d(c), nn.ReLU(inplace=True)] if act else [nn.BatchNorm2d(c)]


class Separable(nn.Module):
    """Depthwise 3x3 (stride 1 or 2) then pointwise 1x1; residual where shapes allow."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False),
            *_bn_act(c_in),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            *_bn_act(c_out, act=False),
        )
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return F.relu(x + y if self.residual else y)


class Embedder(nn.Module):
    """Stem conv at stride 2, then separable stages to stride 16, flattened to `DIM`."""

    def __init__(
        self, widths: tuple[int, ...] = (24, 48, 96, 192), depth: tuple[int, ...] = (1, 2, 2, 1)
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, widths[0], 3, 2, 1, bias=False),
            *_bn_act(widths[0]),
        ]
        c = widths[0]
        for i, (w, d) in enumerate(zip(widths, depth, strict=True)):
            if i:
                layers.append(Separable(c, w, 2))
                c = w
            layers += [Separable(c, c) for _ in range(d)]
        self.features = nn.Sequential(*layers)
        cells = (HEIGHT // 2 ** len(widths)) * (WIDTH // 2 ** len(widths))
        self.head = nn.Linear(c * cells, DIM)
        self.norm = nn.BatchNorm1d(DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        mean = flat.mean(1)[:, None, None, None]
        spread = flat.std(1)[:, None, None, None]
        x = (x - mean) / (spread + 0.05)
        z = self.norm(self.head(self.features(x).flatten(1)))
        return F.normalize(z, dim=1)
