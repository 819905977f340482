"""Train the shelf detector from scratch on CPU, resumably.

    python -m vision.detector.train --data .data/vision/synth-train-s0 --run synth-v1 --minutes 95

Every `--checkpoint-minutes` the model, its EMA, the optimizer, the step and the elapsed
training time (which drive the schedule) and the RNG states are written to
`.train/<run>/last.pt` (temporary file, then rename); running the same command again
resumes from there. Samples are a pure function of (seed, sample index), so a resumed run
sees the same crops it would have seen. At the end `.train/<run>/final.pt` holds the EMA
weights; `python -m vision.detector.export` turns it into ONNX.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Sampler

from vision.detector.augment import Augment, random_crop
from vision.detector.data import Sample, read_annotations
from vision.detector.loss import detection_loss
from vision.detector.model import Detector, count_parameters, flatten_levels
from vision.types import CLASSES

log = logging.getLogger("vision.detector.train")


class CropDataset(Dataset[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    """Sample k: image `perm(epoch)[k % N]`, augmented with rng seeded by (seed, k)."""

    def __init__(
        self, samples: list[Sample], seed: int, crop: int, augment: Augment = Augment()
    ) -> None:
        self.samples, self.seed, self.crop, self.augment = samples, seed, crop, augment
        self._perm: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return 1 << 40

    def _image_index(self, k: int) -> int:
        epoch, i = divmod(k, len(self.samples))
        if self._perm is None or self._perm[0] != epoch:
            rng = np.random.default_rng([self.seed, 1_000_003, epoch])
            self._perm = (epoch, rng.permutation(len(self.samples)))
        return int(self._perm[1][i])

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, k])
        crop = random_crop(self.samples[self._image_index(k)], rng, self.crop, self.augment)
        return crop.image, crop.boxes, crop.classes


class FromIndex(Sampler[int]):
    def __init__(self, start: int) -> None:
        self.start = start

    def __iter__(self) -> Iterator[int]:
        k = self.start
        while True:
            yield k
            k += 1


def collate(
    batch: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    images = torch.from_numpy(np.stack([b[0] for b in batch]))
    m = max(1, max(len(b[1]) for b in batch))
    boxes = torch.zeros(len(batch), m, 4)
    classes = torch.zeros(len(batch), m, dtype=torch.long)
    mask = torch.zeros(len(batch), m, dtype=torch.bool)
    for i, (_, b, c) in enumerate(batch):
        boxes[i, : len(b)] = torch.from_numpy(b)
        classes[i, : len(c)] = torch.from_numpy(c)
        mask[i, : len(b)] = True
    return images, boxes, classes, mask


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)


class EMA:
    """Exponential moving average of weights with a warm-up ramp (as YOLOv8)."""

    def __init__(self, model: nn.Module, decay: float = 0.999, tau: float = 500.0) -> None:
        self.model = copy.deepcopy(model).eval()
        self.decay, self.tau, self.updates = decay, tau, 0
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        current = model.state_dict()
        for name, value in self.model.state_dict().items():
            if value.dtype.is_floating_point:
                value.mul_(d).add_(current[name].detach(), alpha=1 - d)


class ThreadChooser:
    """Pick torch's thread count by measured step time when `fixed` is 0.

    Every 100 steps, 5 steps run on the other count; the count with the lower moving
    average step time is used until the next trial.
    """

    def __init__(self, fixed: int) -> None:
        self.fixed, self.current, self.active = fixed, 1, 1
        self.times: dict[int, float] = {}

    def choose(self, step: int) -> int:
        if self.fixed:
            return self.fixed
        if self.times:
            self.current = min(self.times, key=lambda t: self.times[t])
        trial = 0 < step % 100 <= 5 or (len(self.times) < 2 and step > 2)
        self.active = (3 - self.current) if trial else self.current
        return self.active

    def record(self, seconds: float) -> None:
        old = self.times.get(self.active)
        self.times[self.active] = seconds if old is None else 0.7 * old + 0.3 * seconds

    def __str__(self) -> str:
        return " ".join(f"{t}:{s:.2f}s" for t, s in sorted(self.times.items())) or "-"


def lr_at(progress: float, step: int, peak: float, warmup: int) -> float:
    """Cosine from `peak` to 2 % of it over progress in [0, 1], after a linear warm-up."""
    cosine = 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return peak * cosine * min(1.0, (step + 1) / warmup)


def _optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999))


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vision.detector.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", type=Path, nargs="+", required=True, help="dataset folders (or CSVs)")
    p.add_argument("--format", choices=("yolo", "sku110k"), default="yolo")
    p.add_argument(
        "--max-images",
        type=int,
        default=0,
        help="use only the first N images of each dataset in name order (0: all)",
    )
    p.add_argument(
        "--init",
        type=Path,
        help="start from these weights (a final.pt or last.pt) instead of from scratch",
    )
    p.add_argument("--run", default="detector", help="run name: .train/<run>/")
    p.add_argument("--runs-dir", type=Path, default=Path(".train"))
    p.add_argument("--minutes", type=float, default=95.0, help="training time budget")
    p.add_argument("--steps", type=int, default=0, help="fixed step count (overrides --minutes)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=512)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=300, help="warm-up steps")
    p.add_argument(
        "--widths",
        type=int,
        nargs=4,
        default=(32, 64, 128, 192),
        help="channels at strides 4, 8, 16, 32",
    )
    p.add_argument("--head", type=int, default=64, help="head channels")
    p.add_argument(
        "--freeze-bn",
        action="store_true",
        help="keep BatchNorm statistics fixed (fine-tuning weights recovered from ONNX)",
    )
    p.add_argument(
        "--focus-p",
        type=float,
        default=Augment.focus_p,
        help="share of crops framed around a display or POSM (of photos holding one)",
    )
    p.add_argument(
        "--restyle-p",
        type=float,
        default=Augment.restyle_p,
        help="share of crops given another look (colours, shading, print; augment.restyle)",
    )
    p.add_argument(
        "--class-weights",
        type=float,
        nargs=len(CLASSES),
        default=(1.0,) * len(CLASSES),
        metavar="W",
        help=f"weight of each class's positives in the classification loss ({', '.join(CLASSES)})",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads; 0: try 1 and 2 every 100 steps and keep the faster "
        "(on a shared 2-core machine 1 thread is often twice as fast)",
    )
    p.add_argument("--workers", type=int, default=1, help="data loader processes")
    p.add_argument("--checkpoint-minutes", type=float, default=10.0)
    return p


def train(args: argparse.Namespace) -> Path:
    """Run (or resume) training; returns the path of final.pt."""
    torch.set_num_threads(args.threads or 2)
    run_dir = args.runs_dir / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    last, final = run_dir / "last.pt", run_dir / "final.pt"
    state: dict[str, Any] | None = None
    if last.exists():
        state = torch.load(last, map_location="cpu", weights_only=False)
        saved = state["args"]
        for key in (
            "format",
            "max_images",
            "batch",
            "crop",
            "lr",
            "weight_decay",
            "warmup",
            "widths",
            "head",
            "seed",
            "minutes",
            "steps",
        ):
            setattr(args, key, type(getattr(args, key))(saved[key]))
        # absent from runs older than these options
        for key in ("freeze_bn", "focus_p", "class_weights", "restyle_p"):
            setattr(args, key, saved.get(key, getattr(args, key)))
        data = saved["data"]
        args.data = [Path(d) for d in (data if isinstance(data, list) else [data])]
        log.info(
            "resuming %s at step %d (%.1f min trained)", last, state["step"], state["elapsed"] / 60
        )
    torch.manual_seed(args.seed)
    samples = [
        sample
        for folder in args.data
        for sample in read_annotations(folder, args.format)[: args.max_images or None]
    ]
    if not samples:
        raise SystemExit(f"no images found in {args.data}")
    n_boxes = sum(len(s.boxes) for s in samples)
    model = Detector(len(CLASSES), tuple(args.widths), head=args.head).to(
        memory_format=torch.channels_last
    )
    ema = EMA(model)
    opt = _optimizer(model, args.lr, args.weight_decay)
    step, elapsed = 0, 0.0
    fine_tuned_from = None  # what the --init weights' own metadata says of them
    if args.init:
        start = torch.load(args.init, map_location="cpu", weights_only=False)
        fine_tuned_from = start.get("meta")
        if state is None:
            model.load_state_dict(start["ema"])
            ema.model.load_state_dict(start["ema"])
            log.info("starting from the weights of %s", args.init)
    if state is not None:
        model.load_state_dict(state["model"])
        ema.model.load_state_dict(state["ema"])
        ema.updates = state["ema_updates"]
        opt.load_state_dict(state["optimizer"])
        step, elapsed = state["step"], state["elapsed"]
        torch.set_rng_state(state["torch_rng"])
    log.info(
        "data %s: %d images, %d boxes; model %.2f M params; %s",
        args.data,
        len(samples),
        n_boxes,
        count_parameters(model) / 1e6,
        json.dumps(_jsonable(vars(args))),
    )
    augment = Augment(focus_p=args.focus_p, restyle_p=args.restyle_p)
    class_weights = torch.tensor(args.class_weights, dtype=torch.float32)
    loader = DataLoader(
        CropDataset(samples, args.seed, args.crop, augment),
        batch_size=args.batch,
        sampler=FromIndex(step * args.batch),
        num_workers=args.workers,
        collate_fn=collate,
        worker_init_fn=_worker_init,
        prefetch_factor=4 if args.workers else None,
        persistent_workers=False,
    )

    def progress() -> float:
        return step / args.steps if args.steps else elapsed / (args.minutes * 60)

    def checkpoint() -> None:
        _save(
            last,
            {
                "model": model.state_dict(),
                "ema": ema.model.state_dict(),
                "ema_updates": ema.updates,
                "optimizer": opt.state_dict(),
                "step": step,
                "elapsed": elapsed,
                "args": _jsonable(vars(args)),
                "torch_rng": torch.get_rng_state(),
            },
        )
        log.info("checkpoint %s at step %d", last, step)

    model.train()
    if args.freeze_bn:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
    last_save = time.monotonic()
    window: dict[str, float] = {"loss": 0.0, "box": 0.0, "cls": 0.0, "pos": 0.0, "n": 0}
    tick = prev = time.monotonic()
    threads = ThreadChooser(args.threads)
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    for images, boxes, classes, mask in loader:
        if progress() >= 1.0:
            break
        torch.set_num_threads(threads.choose(step))
        lr = lr_at(progress(), step, args.lr, args.warmup)
        for group in opt.param_groups:
            group["lr"] = lr
        x = images.permute(0, 3, 1, 2).float().div_(255.0)
        x = x.contiguous(memory_format=torch.channels_last)
        ltrb, logits, centres, _ = flatten_levels(model(x))
        loss, parts = detection_loss(
            ltrb, logits, centres, boxes, classes, mask, class_weights=class_weights
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        now = time.monotonic()
        threads.record(now - prev)
        elapsed += now - prev
        prev = now
        window["loss"] += float(loss.detach())
        window["n"] += 1
        for key in ("box", "cls", "pos"):
            window[key] += parts[key]
        if step % 25 == 0:
            n = window["n"]
            log.info(
                "step %d  %.1f%%  lr %.2e  loss %.3f  box %.3f  cls %.3f  pos/img %.0f  "
                "%.1f img/s  %.1f min  threads %s",
                step,
                100 * progress(),
                lr,
                window["loss"] / n,
                window["box"] / n,
                window["cls"] / n,
                window["pos"] / n / args.batch,
                n * args.batch / (now - tick),
                elapsed / 60,
                threads,
            )
            window = dict.fromkeys(window, 0.0)
            tick = now
        if now - last_save > args.checkpoint_minutes * 60:
            checkpoint()
            last_save = now
        if stop:  # SIGTERM: keep what was trained, resume later
            checkpoint()
            raise SystemExit(f"stopped by signal {stop[0]} at step {step}; run again to resume")
    checkpoint()
    meta = {
        "step": step,
        "elapsed_s": round(elapsed),
        "images": len(samples),
        "samples_seen": step * args.batch,
        "epochs": step * args.batch / len(samples),
        "params": count_parameters(model),
        "args": _jsonable(vars(args)),
        "augment": dataclasses.asdict(augment),
        "command": " ".join(["python -m vision.detector.train", *sys.argv[1:]]),
        **({"fine_tuned_from": fine_tuned_from} if fine_tuned_from else {}),
    }
    _save(final, {"ema": ema.model.state_dict(), "meta": meta})
    log.info("done: %s", json.dumps(meta))
    return final


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return str(v) if isinstance(v, Path) else v

    return {k: plain(v) for k, v in d.items()}


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    train(_parser().parse_args(argv))


if __name__ == "__main__":
    main()
