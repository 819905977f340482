"""Export the trained embedder (EMA weights) to ONNX, opset 17, with its JSON sidecar.

    python -m vision.embed.export .train/embed-v1/final.pt -o vision/models/embedder.onnx \
        --note "..."   # the sidecar records input size, steps and the training arguments
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from vision.embed.crops import HEIGHT, WIDTH
from vision.embed.model import DIM, Embedder


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("-o", "--out", type=Path, default=Path("vision/models/embedder.onnx"))
    p.add_argument("--extra", type=Path, help="JSON merged into the sidecar")
    p.add_argument("--version", default="embed-1", help="the model's name in the sidecar")
    args = p.parse_args(argv)
    state = torch.load(args.checkpoint, weights_only=False)
    model = Embedder()
    model.load_state_dict(state["ema"])
    model.eval()
    x = torch.rand(2, 3, HEIGHT, WIDTH)
    torch.onnx.export(
        model,
        (x,),
        str(args.out),
        input_names=["crops"],
        output_names=["embedding"],
        dynamic_axes={"crops": {0: "n"}, "embedding": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    sidecar = {
        "version": args.version,
        "input": {
            "width": WIDTH,
            "height": HEIGHT,
            "layout": "NCHW RGB float32 in [0, 1]",
            "resize": "box resized to width x height, aspect dropped, bilinear",
        },
        "output": {"dim": DIM, "normalised": True},
        "params": sum(p.numel() for p in model.parameters()),
        "steps": state["step"],
        "train_minutes": round(state["elapsed"] / 60, 1),
        "train_args": json.loads(json.dumps(state["args"], default=str)),  # paths as text
    }
    if args.extra:
        sidecar.update(json.loads(args.extra.read_text()))
    args.out.with_suffix(".json").write_text(json.dumps(sidecar, indent=1) + "\n")
    print(args.out, args.out.stat().st_size)  # noqa: T201


if __name__ == "__main__":
    main()
