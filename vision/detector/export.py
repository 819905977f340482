"""Export a trained checkpoint to ONNX in the YOLOv8 layout, with a JSON sidecar.

    python -m vision.detector.export .train/synth-v1/final.pt -o vision/models/detector.onnx

The graph takes any input height and width that are multiples of 32 (dynamic axes) and
returns `[1, 4 + classes, N]`. The sidecar `<out>.json` records classes, input size and
the training metadata; `vision.evaluate --write-json` adds the evaluation table to it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vision.detector.model import Detector, ExportWrapper, count_parameters
from vision.types import CLASSES


def load_checkpoint(path: Path) -> tuple[Detector, dict[str, Any]]:
    """The EMA weights of a final.pt (or last.pt) and its metadata."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    meta = state.get("meta") or {
        "step": state["step"],
        "elapsed_s": round(state["elapsed"]),
        "args": state["args"],
        "partial": True,
    }
    args = meta["args"]
    net = Detector(len(CLASSES), tuple(args["widths"]), head=args["head"])
    net.load_state_dict(state["ema"])
    return net.eval(), meta


def export(
    checkpoint: Path,
    out: Path,
    input_size: tuple[int, int] = (1280, 960),
    overview: dict[str, Any] | None = None,
) -> Path:
    """Write `out` (.onnx) and `out` with suffix .json; returns the ONNX path.

    `overview`: `{"scale", "classes"}` for `vision.detect.Detector`'s second pass, if any.
    """
    net, meta = load_checkpoint(checkpoint)
    wrapper = ExportWrapper(net).eval()
    w, h = input_size
    dummy = torch.rand(1, 3, h, w)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (dummy,),
            str(out),
            input_names=["images"],
            output_names=["output0"],
            dynamic_axes={"images": {2: "height", 3: "width"}, "output0": {2: "anchors"}},
            opset_version=17,
            dynamo=False,
        )
        expected = wrapper(dummy).numpy()
    check_onnx(out, dummy.numpy(), expected)
    sidecar = {
        "classes": list(CLASSES),
        "input_size": [w, h],
        "layout": "[1, 4 + classes, N]: cx, cy, w, h (input px), sigmoid class scores",
        "architecture": "anchor-free, space-to-depth stem, C2f/SPPF backbone, PAN, "
        "strides 8/16/32, task-aligned assignment, GIoU",
        "params": count_parameters(net),
        **({"overview": overview} if overview else {}),
        "training": meta,
    }
    out.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return out


def check_onnx(path: Path, batch: np.ndarray, expected: np.ndarray) -> None:
    """Raise unless the ONNX file at `path` gives `expected` for `batch` (within 1e-2)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": batch})[0]
    err = float(np.abs(got - expected).max())
    if err > 1e-2:
        raise RuntimeError(f"{path}: ONNX output differs from torch by {err}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m vision.detector.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=Path("vision/models/detector.onnx"))
    parser.add_argument("--input-size", type=int, nargs=2, default=(1280, 960), metavar=("W", "H"))
    parser.add_argument(
        "--overview-scale",
        type=float,
        default=0.4,
        help="input scale of the second pass for --overview-classes (1: no second pass)",
    )
    parser.add_argument("--overview-classes", nargs="*", default=["display", "posm"])
    args = parser.parse_args(argv)
    overview = (
        {"scale": args.overview_scale, "classes": args.overview_classes}
        if args.overview_scale < 1 and args.overview_classes
        else None
    )
    export(args.checkpoint, args.out, tuple(args.input_size), overview)


if __name__ == "__main__":
    main()
