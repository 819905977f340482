"""Train the pack embedder (torch, CPU) on the cached crops of `vision.embed.make_data`.

Loss: CosFace (a cosine margin over every training SKU, each of many generated
catalogues) plus a supervised contrastive term within the batch. Batches are whole
brands: a brand's every SKU with a few crops each (one of them often a reference pack
image), so each batch holds the hard negatives, the variants that differ by a flavour
band or a size. Schedule on a time budget (`--minutes`), or fixed `--steps`. Every
10 minutes (and on SIGTERM) model, EMA, classifier, optimizer, step and elapsed time go
to `.train/<run>/last.pt` (temp file, then rename); the same command resumes. Batches and
augmentation are drawn from (seed, step) alone, so a resumed run sees the same data.

    python -m vision.embed.train --data .data/embed/train --run embed-v1 --minutes 80
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from vision.embed.augment import augment, plain
from vision.embed.crops import load_shards
from vision.embed.model import DIM, Embedder

CHECKPOINT_S = 600


def log(line: str) -> None:
    """One line to the training log (stdout, flushed: the log is a redirected file)."""
    print(line, flush=True)  # noqa: T201


class Batches:
    """Brand-grouped batches of row indices, drawn from (seed, step)."""

    def __init__(self, sku: np.ndarray, brand: np.ndarray, kind: np.ndarray, seed: int) -> None:
        self.seed = seed
        self.sku_ids, self.sku = np.unique(sku, return_inverse=True)
        n_sku = len(self.sku_ids)
        sku_brand = np.zeros(n_sku, np.int64)
        sku_brand[self.sku] = brand
        self.brand_ids, sku_brand = np.unique(sku_brand, return_inverse=True)
        order = np.argsort(sku_brand, kind="stable")
        self.brand_skus = np.split(order, np.flatnonzero(np.diff(sku_brand[order])) + 1)
        self.pools = [self._pool(kind == 0, n_sku), self._pool(kind != 0, n_sku)]

    def _pool(self, mask: np.ndarray, n_sku: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(self.sku[rows], kind="stable")]
        count = np.bincount(self.sku[rows], minlength=n_sku)
        start = np.r_[0, np.cumsum(count)[:-1]]
        return rows, start, count

    def __call__(self, step: int, brands: int, per_sku: int, ref_p: float) -> np.ndarray:
        rng = np.random.default_rng([self.seed, step])
        chosen = rng.choice(len(self.brand_skus), brands, replace=False)
        skus = np.repeat(np.concatenate([self.brand_skus[b] for b in chosen]), per_sku)
        (r_rows, r_start, r_count), (s_rows, s_start, s_count) = self.pools
        want_ref = (rng.random(len(skus)) < ref_p) | (s_count[skus] == 0)
        use_ref = want_ref & (r_count[skus] > 0)
        u = rng.random(len(skus))
        ref = r_rows[
            np.minimum(r_start[skus] + (u * r_count[skus]).astype(np.int64), len(r_rows) - 1)
        ]
        scene = s_rows[
            np.minimum(s_start[skus] + (u * s_count[skus]).astype(np.int64), len(s_rows) - 1)
        ]
        return np.where(use_ref, ref, scene)


def cosface(
    z: torch.Tensor, weight: torch.Tensor, target: torch.Tensor, s: float, m: float
) -> torch.Tensor:
    logits = z @ F.normalize(weight, dim=1).T
    logits = logits - m * F.one_hot(target, logits.shape[1])
    return F.cross_entropy(s * logits, target)


def supcon(z: torch.Tensor, target: torch.Tensor, tau: float) -> torch.Tensor:
    sim = z @ z.T / tau
    eye = torch.eye(len(z), dtype=torch.bool)
    sim = sim.masked_fill(eye, -1e9)
    pos = (target[:, None] == target[None, :]) & ~eye
    logp = sim - torch.logsumexp(sim, 1, keepdim=True)
    has = pos.any(1)
    per = (logp * pos).sum(1) / pos.sum(1).clamp(min=1)
    return -per[has].mean()


def lr_at(args: argparse.Namespace, step: int, progress: float) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


@torch.no_grad()
def validate(model: torch.nn.Module, val: dict[str, np.ndarray]) -> dict[str, float]:
    """Top-1 of scene crops against per-SKU mean reference embeddings, within each catalogue."""
    model.eval()
    z = torch.cat(
        [
            model(plain(torch.from_numpy(val["pixels"][i : i + 512])))
            for i in range(0, len(val["sku"]), 512)
        ]
    )
    z = z.numpy()
    cat = val["sku"] // 100
    right = brand_right = total = 0
    for c in np.unique(cat):
        here = cat == c
        refs = here & (val["kind"] == 0)
        skus = np.unique(val["sku"][refs])
        proto = np.stack([z[refs & (val["sku"] == s)].mean(0) for s in skus])
        proto /= np.linalg.norm(proto, axis=1, keepdims=True)
        q = here & (val["kind"] != 0)
        best = skus[(z[q] @ proto.T).argmax(1)]
        right += int((best == val["sku"][q]).sum())
        brand_of = dict(zip(val["sku"][here].tolist(), val["brand"][here].tolist(), strict=False))
        brand_right += sum(
            brand_of[int(b)] == t for b, t in zip(best, val["brand"][q].tolist(), strict=True)
        )
        total += int(q.sum())
    model.train()
    return {"top1": right / max(total, 1), "brand": brand_right / max(total, 1), "n": total}


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, nargs="+", required=True)
    p.add_argument("--run", default="embed-v1")
    p.add_argument("--minutes", type=float, default=80.0)
    p.add_argument("--steps", type=int, default=0, help="fixed steps instead of --minutes")
    p.add_argument("--brands", type=int, default=12, help="brands per batch")
    p.add_argument("--per-sku", type=int, default=3)
    p.add_argument("--ref-p", type=float, default=0.3, help="share of reference images")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=150)
    p.add_argument("--scale", type=float, default=30.0)
    p.add_argument("--margin", type=float, default=0.25)
    p.add_argument("--supcon", type=float, default=0.5)
    p.add_argument("--val-catalogues", type=int, default=3, help="last catalogues held out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--init", type=Path, help="start from this run's last.pt (model, EMA, classifier)"
    )
    p.add_argument(
        "--extra-faults", action="store_true", help="keystone, glare, stronger blur (augment)"
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(".train") / args.run
    out.mkdir(parents=True, exist_ok=True)

    data = {k: v for d in args.data for k, v in load_shards(d).items()}  # one folder in practice
    cat = data["sku"] // 100
    val_cats = np.unique(cat)[-args.val_catalogues :] if args.val_catalogues else np.array([])
    held = np.isin(cat, val_cats)
    rng = np.random.default_rng(args.seed)
    val_rows = np.flatnonzero(held & (data["kind"] == 0))
    scene_val = np.flatnonzero(held & (data["kind"] != 0))
    val_rows = np.r_[val_rows, rng.choice(scene_val, min(1500, len(scene_val)), replace=False)]
    val = {k: v[val_rows] for k, v in data.items()}
    train = np.flatnonzero(~held)
    pixels = torch.from_numpy(data["pixels"])
    batches = Batches(data["sku"][train], data["brand"][train], data["kind"][train], args.seed)
    n_sku = len(batches.sku_ids)
    log(
        f"train rows {len(train)} skus {n_sku} brands {len(batches.brand_ids)}; "
        f"val {len(val_rows)} from {val_cats.tolist()}"
    )

    model = Embedder().to(memory_format=torch.channels_last)
    weight = torch.nn.Parameter(torch.randn(n_sku, DIM) * 0.01)
    ema = copy.deepcopy(model).eval()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.05},
            {"params": rest, "weight_decay": 0.0},
            {"params": [weight], "weight_decay": 0.0},
        ],
        lr=args.lr,
    )
    step, elapsed = 0, 0.0
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        weight.data.copy_(state["weight"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        log(f"resumed at step {step}, {elapsed / 60:.1f} min")
    elif args.init:  # same data, so the same SKUs: the classifier carries over
        state = torch.load(args.init, weights_only=False)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        weight.data.copy_(state["weight"])
        log(f"started from {args.init} (its step {state['step']})")

    def snapshot() -> dict[str, Any]:
        return {
            "model": model.state_dict(),
            "ema": ema.state_dict(),
            "weight": weight.data,
            "opt": opt.state_dict(),
            "step": step,
            "elapsed": elapsed,
            "args": vars(args),
        }

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    saved_at = time.monotonic()
    target = torch.from_numpy(batches.sku)
    model.train()
    while not stop["now"]:
        progress = step / args.steps if args.steps else elapsed / (args.minutes * 60)
        if progress >= 1.0:
            break
        t0 = time.monotonic()
        lr = lr_at(args, step, progress)
        for group in opt.param_groups:
            group["lr"] = lr
        rows = batches(step, args.brands, args.per_sku, args.ref_p)
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        x = augment(pixels[train[rows]], g, extra=args.extra_faults)
        y = target[rows]
        z = model(x)
        loss_cf = cosface(z, weight, y, args.scale, args.margin)
        loss_sc = supcon(z, y, 0.1)
        loss = loss_cf + args.supcon * loss_sc
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        with torch.no_grad():
            d = min(0.998, (1 + step) / (10 + step))
            for pe, pm in zip(ema.state_dict().values(), model.state_dict().values(), strict=True):
                if pe.dtype.is_floating_point:
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                else:
                    pe.copy_(pm)
        step += 1
        elapsed += time.monotonic() - t0
        if step % 25 == 0:
            log(
                f"step {step} loss {loss.item():.3f} cosface {loss_cf.item():.3f} "
                f"supcon {loss_sc.item():.3f} lr {lr:.2e} {elapsed / step:.2f} s/step "
                f"{elapsed / 60:.1f} min"
            )
        if step % 300 == 0 and len(val_rows):
            t1 = time.monotonic()
            log(f"val step {step}: {validate(ema, val)} ({time.monotonic() - t1:.0f} s)")
        if time.monotonic() - saved_at > CHECKPOINT_S:
            _save(last, snapshot())
            saved_at = time.monotonic()
    _save(last, snapshot())
    if not stop["now"]:
        if len(val_rows):
            log(f"val final: {validate(ema, val)}")
        _save(
            out / "final.pt",
            {"ema": ema.state_dict(), "step": step, "elapsed": elapsed, "args": vars(args)},
        )
        (out / "final.json").write_text(
            json.dumps(
                {
                    "step": step,
                    "minutes": elapsed / 60,
                    "args": json.loads(json.dumps(vars(args), default=str)),
                }
            )
        )
        log(f"done: {step} steps, {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
