"""Task-aligned assignment (TOOD / YOLOv8) and the detection loss.

For each ground-truth box, the `topk` anchors whose centres lie inside it and whose
alignment `score ** alpha * iou ** beta` is highest become positives (an anchor claimed
by several boxes keeps the one it overlaps most). Classification targets are IoU-aware
(the alignment, normalised per box to its best IoU), so scores rank boxes by quality;
boxes are regressed with GIoU weighted by the same targets.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def box_iou_pairs(a: Tensor, b: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    """IoU and GIoU of broadcastable xyxy boxes (..., 4)."""
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    union = area_a + area_b - inter + eps
    iou = inter / union
    hull = torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])
    hull_area = hull.clamp(min=0).prod(-1) + eps
    return iou, iou - (hull_area - union) / hull_area


@torch.no_grad()
def assign(
    scores: Tensor,
    pred_boxes: Tensor,
    centres: Tensor,
    gt_boxes: Tensor,
    gt_classes: Tensor,
    gt_mask: Tensor,
    topk: int = 10,
    alpha: float = 0.5,
    beta: float = 6.0,
) -> tuple[Tensor, Tensor, Tensor]:
    """Task-aligned assignment.

    Args:
        scores: Sigmoid class scores (B, N, C).
        pred_boxes: Predicted xyxy (B, N, 4).
        centres: Anchor centres (N, 2).
        gt_boxes: Padded ground truth xyxy (B, M, 4).
        gt_classes: (B, M) class ids.
        gt_mask: (B, M) true for real boxes.

    Returns:
        Target xyxy per anchor (B, N, 4), target class scores (B, N, C), foreground (B, N).
    """
    b, n, c = scores.shape
    m = gt_boxes.shape[1]
    cx, cy = centres[:, 0].view(1, 1, n), centres[:, 1].view(1, 1, n)
    inside = (
        torch.stack(
            (
                cx - gt_boxes[..., 0:1],
                cy - gt_boxes[..., 1:2],
                gt_boxes[..., 2:3] - cx,
                gt_boxes[..., 3:4] - cy,
            ),
            -1,
        ).amin(-1)
        > 1e-3
    )
    valid = inside & gt_mask.unsqueeze(-1)  # (B, M, N)
    iou, _ = box_iou_pairs(gt_boxes.unsqueeze(2), pred_boxes.unsqueeze(1))
    iou = iou.clamp(min=0) * valid
    cls_index = gt_classes.clamp(min=0).unsqueeze(-1).expand(b, m, n)
    gt_scores = scores.transpose(1, 2).gather(1, cls_index)  # (B, M, N)
    align = gt_scores.pow(alpha) * iou.pow(beta) * valid
    k = min(topk, n)
    top = align.topk(k, dim=-1).indices
    in_top = torch.zeros_like(valid).scatter_(-1, top, True)
    positive = in_top & valid
    # An anchor claimed by several boxes keeps the box it overlaps most.
    claims = positive.sum(1, keepdim=True)
    best = F.one_hot(iou.argmax(1), m).transpose(1, 2).bool()
    positive = torch.where(claims > 1, best & valid, positive)
    foreground = positive.any(1)  # (B, N)
    gt_index = positive.float().argmax(1)  # (B, N)
    batch = torch.arange(b).unsqueeze(-1)
    target_boxes = gt_boxes[batch, gt_index]  # (B, N, 4)
    target_classes = gt_classes[batch, gt_index].clamp(min=0)
    align = align * positive
    max_align = align.amax(-1, keepdim=True)
    max_iou = (iou * positive).amax(-1, keepdim=True)
    quality = (align * max_iou / (max_align + 1e-9)).amax(1)  # (B, N)
    target_scores = F.one_hot(target_classes, c).float() * (quality * foreground).unsqueeze(-1)
    return target_boxes, target_scores, foreground


def detection_loss(
    ltrb: Tensor,
    logits: Tensor,
    centres: Tensor,
    gt_boxes: Tensor,
    gt_classes: Tensor,
    gt_mask: Tensor,
    box_gain: float = 7.5,
    cls_gain: float = 0.5,
    class_weights: Tensor | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Total loss and its parts (for logging) for one batch.

    `class_weights` (C,): weight of each class's positive term in the classification
    loss (a rare class learns from few anchors per batch; negatives are not reweighted).
    """
    pred_boxes = torch.cat((centres - ltrb[..., :2], centres + ltrb[..., 2:]), -1)
    target_boxes, target_scores, foreground = assign(
        logits.detach().sigmoid(), pred_boxes.detach(), centres, gt_boxes, gt_classes, gt_mask
    )
    norm = target_scores.sum().clamp(min=1.0)
    cls_loss = (
        F.binary_cross_entropy_with_logits(
            logits, target_scores, reduction="sum", pos_weight=class_weights
        )
        / norm
    )
    if foreground.any():
        _, giou = box_iou_pairs(pred_boxes[foreground], target_boxes[foreground])
        weight = target_scores.sum(-1)[foreground]
        box_loss = ((1.0 - giou) * weight).sum() / norm
    else:
        box_loss = pred_boxes.sum() * 0.0
    total = box_gain * box_loss + cls_gain * cls_loss
    parts = {
        "box": float(box_loss.detach()),
        "cls": float(cls_loss.detach()),
        "pos": float(foreground.sum()),
    }
    return total, parts
