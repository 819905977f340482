"""The shelf detector network in plain torch: a YOLOv8n-sized anchor-free detector.

Backbone of 3x3 convs with C2f blocks and SPPF (strides 2..32), a PAN neck, and one
decoupled head per level (strides 8, 16, 32) predicting, at every feature-map location,
the distances from the location to the four box sides (in strides, softplus) and one
logit per class. `forward` returns training outputs; `Detector.export_head` turns them
into the YOLOv8 layout `[B, 4 + classes, N]` (cx, cy, w, h in input pixels, sigmoid
scores) that the ONNX runtime path decodes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

STRIDES: tuple[int, ...] = (8, 16, 32)


class Conv(nn.Module):
    """Conv + BatchNorm + SiLU."""

    def __init__(self, c_in: int, c_out: int, k: int = 3, s: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c: int, shortcut: bool) -> None:
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x: Tensor) -> Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """Split, n bottlenecks on one half, concatenate every intermediate, 1x1 fuse."""

    def __init__(self, c_in: int, c_out: int, n: int, shortcut: bool) -> None:
        super().__init__()
        self.c = c_out // 2
        self.cv1 = Conv(c_in, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c_out, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x: Tensor) -> Tensor:
        ys = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            ys.append(m(ys[-1]))
        return self.cv2(torch.cat(ys, 1))


class SPPF(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        c = c_in // 2
        self.cv1 = Conv(c_in, c, 1)
        self.cv2 = Conv(4 * c, c_out, 1)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x: Tensor) -> Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.pool(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Head(nn.Module):
    """Per-level head: one shared 3x3 conv, then 1x1 to 4 side distances and to class logits."""

    def __init__(self, c_in: int, c_mid: int, n_classes: int, stride: int) -> None:
        super().__init__()
        self.stem = Conv(c_in, c_mid, 3)
        self.box = nn.Conv2d(c_mid, 4, 1)
        self.cls = nn.Conv2d(c_mid, n_classes, 1)
        nn.init.normal_(self.box.weight, std=0.01)
        nn.init.constant_(self.box.bias, 1.0)  # softplus(1) ~ 1.3 strides per side
        # A prior of about 5 objects per 640x640 image per class and level (as YOLOv8).
        prior = 5 / n_classes / (640 / stride) ** 2
        nn.init.normal_(self.cls.weight, std=0.01)
        nn.init.constant_(self.cls.bias, math.log(prior / (1 - prior)))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y = self.stem(x)
        return self.box(y), self.cls(y)


class Detector(nn.Module):
    """Small anchor-free detector for CPU training.

    A space-to-depth stem (4x4 pixel blocks to channels, then 3x3 convs at stride 4)
    instead of full-resolution convs, which are memory-bound on CPU; C2f stages to stride
    32 with SPPF; a PAN neck; one light head per level (strides 8, 16, 32).
    """

    def __init__(
        self,
        n_classes: int = 4,
        widths: tuple[int, int, int, int] = (32, 64, 128, 192),
        depths: tuple[int, int, int, int] = (1, 1, 1, 1),
        head: int = 64,
    ) -> None:
        super().__init__()
        c2, c3, c4, c5 = widths
        self.n_classes = n_classes
        self.stem = nn.Sequential(
            nn.PixelUnshuffle(4), Conv(48, c2, 3), C2f(c2, c2, depths[0], True)
        )
        self.down3 = nn.Sequential(Conv(c2, c3, 3, 2), C2f(c3, c3, depths[1], True))
        self.down4 = nn.Sequential(Conv(c3, c4, 3, 2), C2f(c4, c4, depths[2], True))
        self.down5 = nn.Sequential(Conv(c4, c5, 3, 2), C2f(c5, c5, depths[3], True), SPPF(c5, c5))
        self.top4 = C2f(c5 + c4, c4, 1, False)
        self.top3 = C2f(c4 + c3, c3, 1, False)
        self.bot4_down = Conv(c3, c3, 3, 2)
        self.bot4 = C2f(c3 + c4, c4, 1, False)
        self.bot5_down = Conv(c4, c4, 3, 2)
        self.bot5 = C2f(c4 + c5, c5, 1, False)
        self.heads = nn.ModuleList(
            Head(c, head, n_classes, s) for c, s in zip((c3, c4, c5), STRIDES, strict=True)
        )

    def forward(self, x: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Per level (strides 8, 16, 32): box (B, 4, H, W) raw and class logits (B, C, H, W)."""
        p2 = self.stem(x)  # stride 4
        p3 = self.down3(p2)
        p4 = self.down4(p3)
        p5 = self.down5(p4)
        t4 = self.top4(torch.cat((F.interpolate(p5, scale_factor=2.0), p4), 1))
        n3 = self.top3(torch.cat((F.interpolate(t4, scale_factor=2.0), p3), 1))
        n4 = self.bot4(torch.cat((self.bot4_down(n3), t4), 1))
        n5 = self.bot5(torch.cat((self.bot5_down(n4), p5), 1))
        return [head(f) for head, f in zip(self.heads, (n3, n4, n5), strict=True)]


def flatten_levels(
    outputs: list[tuple[Tensor, Tensor]],
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Flatten per-level outputs to anchors.

    Returns:
        ltrb (B, N, 4) side distances in input pixels, logits (B, N, C), anchor centres
        (N, 2) in input pixels, anchor strides (N, 1).
    """
    ltrb, logits, centres, strides = [], [], [], []
    for (box, cls), stride in zip(outputs, STRIDES, strict=True):
        _, _, h, w = box.shape
        ys = (torch.arange(h, dtype=box.dtype, device=box.device) + 0.5) * stride
        xs = (torch.arange(w, dtype=box.dtype, device=box.device) + 0.5) * stride
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        centres.append(torch.stack((gx, gy), -1).reshape(-1, 2))
        strides.append(torch.full((h * w, 1), float(stride), dtype=box.dtype))
        ltrb.append(F.softplus(box).flatten(2).transpose(1, 2) * stride)
        logits.append(cls.flatten(2).transpose(1, 2))
    return torch.cat(ltrb, 1), torch.cat(logits, 1), torch.cat(centres, 0), torch.cat(strides, 0)


def ltrb_to_xyxy(ltrb: Tensor, centres: Tensor) -> Tensor:
    """(B, N, 4) side distances around (N, 2) centres -> (B, N, 4) corners."""
    return torch.cat((centres - ltrb[..., :2], centres + ltrb[..., 2:]), -1)


class ExportWrapper(nn.Module):
    """Eval-mode net whose output is the YOLOv8 layout [B, 4 + C, N] (cxcywh px, sigmoid)."""

    def __init__(self, net: Detector) -> None:
        super().__init__()
        self.net = net

    def forward(self, images: Tensor) -> Tensor:
        outputs = self.net(images)
        parts = []
        for (box, cls), stride in zip(outputs, STRIDES, strict=True):
            _, _, h, w = box.shape
            d = F.softplus(box) * stride  # (B, 4, H, W)
            ys = (torch.arange(h, dtype=box.dtype) + 0.5) * stride
            xs = (torch.arange(w, dtype=box.dtype) + 0.5) * stride
            gx = xs.view(1, 1, w).expand(1, h, w)
            gy = ys.view(1, h, 1).expand(1, h, w)
            cx = gx + (d[:, 2] - d[:, 0]) / 2
            cy = gy + (d[:, 3] - d[:, 1]) / 2
            bw = d[:, 0] + d[:, 2]
            bh = d[:, 1] + d[:, 3]
            boxes = torch.stack((cx, cy, bw, bh), 1)
            parts.append(torch.cat((boxes, torch.sigmoid(cls)), 1).flatten(2))
        return torch.cat(parts, 2)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
