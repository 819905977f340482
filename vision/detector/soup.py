"""Average the weights of fine-tuned detectors into one (a uniform "model soup").

    python -m vision.detector.soup .train/shipped-v3/final.pt .train/synth-v4/final.pt \\
        -o .train/soup-v3-v4/final.pt

Runs fine-tuned from the same weights stay in one basin of the loss, so the mean of their
weights is a model too, often better than either on data neither was tuned for (Wortsman et
al., "Model soups", 2022): one run may gain on the classes it was pushed towards and lose
a little on another renderer's photos, the mean keeps most of both. Every checkpoint must
have the same network (widths, head); each tensor is the plain mean of theirs (the
BatchNorm statistics too: with `train.py --freeze-bn` they are the same in every run).
The result is a final.pt like training's, for `vision.detector.export` or `--init`; its
metadata lists each ingredient's own.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

import torch


def soup(checkpoints: list[Path]) -> dict[str, Any]:
    """The mean of the checkpoints' EMA weights, as a checkpoint ({"ema", "meta"})."""
    if len(checkpoints) < 2:
        raise ValueError("a soup needs two checkpoints or more")
    states = [torch.load(path, map_location="cpu", weights_only=False) for path in checkpoints]
    shapes = {(tuple(s["meta"]["args"]["widths"]), s["meta"]["args"]["head"]) for s in states}
    if len(shapes) > 1:
        raise ValueError(f"the checkpoints have different networks: {sorted(shapes)}")
    first = states[0]["ema"]
    for path, state in zip(checkpoints[1:], states[1:], strict=True):
        if state["ema"].keys() != first.keys():
            raise ValueError(f"{path}: not the same layers as {checkpoints[0]}")
    mean = {
        name: (
            torch.stack([s["ema"][name] for s in states]).mean(0)
            if tensor.is_floating_point()
            else tensor.clone()
        )
        for name, tensor in first.items()
    }
    widths, head = shapes.pop()
    meta = {
        "args": {"widths": list(widths), "head": head},
        "soup_of": [
            {"checkpoint": str(p), **s["meta"]} for p, s in zip(checkpoints, states, strict=True)
        ],
    }
    return {"ema": mean, "meta": meta}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m vision.detector.soup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoints", type=Path, nargs="+", help="final.pt files")
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    state = soup(args.checkpoints)
    command = sys.argv[1:] if argv is None else argv
    state["meta"]["command"] = shlex.join(["python", "-m", "vision.detector.soup", *command])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)


if __name__ == "__main__":
    main()
