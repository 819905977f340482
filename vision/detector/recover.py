"""Recover trainable weights from an exported detector, to fine-tune it.

    python -m vision.detector.recover vision/models/detector.onnx -o .train/shipped/final.pt

The export folds each BatchNorm into the convolution before it, so the ONNX file holds
one weight and one bias per convolution. Read in graph order they match the network's
convolutions in the order its forward pass runs them; each `Conv` block gets the folded
weight, and its BatchNorm becomes the identity affine that adds the folded bias
(mean 0, variance 1 - eps, scale 1). The recovered net computes what the ONNX file
computes (checked on a random image before anything is written).

Fine-tune such weights with `vision.detector.train --init FILE --freeze-bn`: a BatchNorm
in training mode would normalise by the batch's statistics, not these, and lose them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vision.detector.export import check_onnx
from vision.detector.model import Conv, Detector, ExportWrapper
from vision.types import CLASSES


def _execution_order(net: nn.Module, size: tuple[int, int]) -> list[nn.Conv2d]:
    """The net's convolutions in the order a forward pass calls them."""
    order: list[nn.Conv2d] = []
    hooks = [
        m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
        for m in net.modules()
        if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        net(torch.zeros(1, 3, size[1], size[0]))
    for hook in hooks:
        hook.remove()
    return order


def recover(onnx_path: Path) -> tuple[Detector, dict[str, Any]]:
    """The detector of `onnx_path` as an eval-mode torch net, and its sidecar's training
    metadata (empty without a sidecar)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    sidecar = onnx_path.with_suffix(".json")
    meta = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
    args = (meta.get("training") or {}).get("args", {})
    shape = {"widths": tuple(args["widths"]), "head": args["head"]} if "widths" in args else {}
    net = Detector(len(meta.get("classes", CLASSES)), **shape).eval()
    params = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    folded = [
        (params[node.input[1]], params[node.input[2]])
        for node in model.graph.node
        if node.op_type == "Conv"
    ]
    convs = _execution_order(net, (256, 256))
    if len(folded) != len(convs):
        raise ValueError(f"{onnx_path}: {len(folded)} convolutions, the network has {len(convs)}")
    blocks = {id(m.conv): m for m in net.modules() if isinstance(m, Conv)}
    with torch.no_grad():
        for conv, (weight, bias) in zip(convs, folded, strict=True):
            if tuple(conv.weight.shape) != weight.shape:
                raise ValueError(f"shape {weight.shape} where the network has {conv.weight.shape}")
            conv.weight.copy_(torch.from_numpy(weight.copy()))
            block = blocks.get(id(conv))
            if block is None:  # the head's plain convolutions keep their own bias
                conv.bias.copy_(torch.from_numpy(bias.copy()))
                continue
            bn = block.bn
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(bias.copy()))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
    image = torch.rand(1, 3, 320, 416)
    with torch.no_grad():
        expected = ExportWrapper(net).eval()(image).numpy()
    check_onnx(onnx_path, image.numpy(), expected)
    return net, meta.get("training", {})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m vision.detector.recover",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("onnx", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True, help="a final.pt for --init")
    args = parser.parse_args(argv)
    net, training = recover(args.onnx)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"ema": net.state_dict(), "meta": {**training, "recovered_from": str(args.onnx)}}, args.out
    )


if __name__ == "__main__":
    main()
