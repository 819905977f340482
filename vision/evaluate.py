"""Evaluate the detector: COCO-style AP50 and AP50:95 per class, per-photo latency, and
what the whole analysis then reports: facings and share errors, SKU top-1, unknowns.

    python -m vision.evaluate --style train --style hard -n 120

renders (or reuses) held-out synthetic sets, one per style, from dataset seeds that
training never uses (train style: seed 1000, hard: 1001; `foreign` and `foreign-dense`
come from a second renderer, `vision.foreign`, never trained on), runs the ONNX detector on each
JPEG end to end (decode, letterbox, inference, decode, NMS) and prints one table per
style. `--data DIR` evaluates a YOLO-format folder instead (e.g. real annotated photos).
Then, for the styles the shelf measure knows (train, hard, clean, foreign), the whole
analysis on `--shelf` generated photos each (`vision.measure`, the detector's boxes, the
shipped recogniser; the table `evaluate-shelf --end-to-end` prints).
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.detect import Detector, box_iou_matrix
from vision.detector.data import Sample, read_yolo
from vision.session import DEFAULT_DETECTOR

IOU_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)
EVAL_SEEDS = {"train": 1000, "hard": 1001, "clean": 1002, "foreign": 1003, "foreign-dense": 1004}
"""Dataset seed per style; training uses seed 0 (`write_dataset` seeds never overlap).
"foreign" and "foreign-dense" (12 MP, ~200 products) are drawn by a renderer of their own
(`vision.foreign`), never by the training one."""


def box_iou(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    """Pairwise IoU of xyxy boxes (N, 4) and (M, 4) -> (N, M)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    return box_iou_matrix(a, b)


def pair(iou: NDArray[np.float32], threshold: float) -> NDArray[np.int64]:
    """Greedy COCO matching of score-sorted detections (rows) to ground truth (columns).

    Returns:
        Per detection, the ground truth it matched (the best not-yet-matched one at IoU >=
        threshold), or -1.
    """
    paired = np.full(iou.shape[0], -1, np.int64)
    if iou.size == 0:
        return paired
    free = np.ones(iou.shape[1], np.bool_)
    candidates = iou >= threshold
    for i in np.flatnonzero(candidates.any(1)):
        options = np.where(candidates[i] & free, iou[i], -1.0)
        j = int(options.argmax())
        if options[j] >= 0:
            paired[i], free[j] = j, False
    return paired


def match(iou: NDArray[np.float32], threshold: float) -> NDArray[np.bool_]:
    """True per score-sorted detection matched to a ground truth (`pair`)."""
    hits: NDArray[np.bool_] = pair(iou, threshold) >= 0
    return hits


def average_precision(scores: NDArray[np.float32], hits: NDArray[np.bool_], n_gt: int) -> float:
    """COCO 101-point interpolated AP of detections pooled over images."""
    if n_gt == 0:
        return float("nan")
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order])
    recall = tp / n_gt
    precision = tp / np.arange(1, len(tp) + 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    points = np.searchsorted(recall, np.linspace(0, 1, 101), side="left")
    valid = points < len(precision)
    return float(np.sum(precision[points[valid]]) / 101)


@dataclass
class ClassTally:
    """Pooled detections of one class: scores and hits per IoU threshold."""

    n_gt: int = 0
    scores: list[NDArray[np.float32]] = field(default_factory=list)
    hits: list[NDArray[np.bool_]] = field(default_factory=list)  # each (T, n)

    def add(
        self, det: NDArray[np.float32], score: NDArray[np.float32], gt: NDArray[np.float32]
    ) -> None:
        order = np.argsort(-score, kind="stable")
        iou = box_iou(det[order], gt)
        self.n_gt += len(gt)
        self.scores.append(score[order])
        self.hits.append(np.stack([match(iou, t) for t in IOU_THRESHOLDS]))

    def ap(self) -> tuple[float, float]:
        """(AP50, AP50:95)."""
        scores = np.concatenate(self.scores) if self.scores else np.zeros(0, np.float32)
        hits = np.concatenate(self.hits, 1) if self.hits else np.zeros((10, 0), np.bool_)
        aps = [average_precision(scores, hits[t], self.n_gt) for t in range(len(IOU_THRESHOLDS))]
        return aps[0], float(np.mean(aps))


def evaluate_samples(
    detector: Detector, samples: Sequence[Sample], conf: float = 0.01
) -> dict[str, Any]:
    """AP per class and latency over `samples` (boxes normalised, as `read_yolo` gives)."""
    tallies = [ClassTally() for _ in detector.classes]
    latencies = []
    for sample in samples:
        data = sample.image.read_bytes()
        start = time.perf_counter()
        found = detector(data, conf=conf)
        latencies.append(time.perf_counter() - start)
        with Image.open(sample.image) as image:
            w, h = image.size
        gt = sample.boxes * np.array([w, h, w, h], np.float32)
        for c, tally in enumerate(tallies):
            mine = found.class_id == c
            tally.add(found.xyxy[mine], found.score[mine], gt[sample.classes == c])
    per_class = {}
    for name, tally in zip(detector.classes, tallies, strict=True):
        ap50, ap = tally.ap()
        per_class[name] = {"ap50": round(ap50, 4), "ap50_95": round(ap, 4), "boxes": tally.n_gt}
    ms = np.array(latencies) * 1000
    return {
        "images": len(samples),
        "classes": per_class,
        "latency_ms": {
            "median": round(float(np.median(ms)), 1),
            "p95": round(float(np.percentile(ms, 95)), 1),
        },
    }


def latency(model: Path, photo: Path, threads: int, repeats: int = 10) -> dict[str, float]:
    """Median ms of bare inference (every pass of the detector) and of whole detection
    (1280x960 and 12 MP JPEG)."""
    detector = Detector(model, threads=threads)
    small = photo.read_bytes()
    with Image.open(photo) as image:
        out = io.BytesIO()
        image.convert("RGB").resize((4000, 3000), Image.Resampling.BILINEAR).save(out, "JPEG")
    big = out.getvalue()
    batches = detector.batches(small)

    def median_ms(run: Callable[[], object]) -> float:
        run()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return round(float(np.median(times)) * 1000, 1)

    return {
        "threads": threads,
        "inference_ms": median_ms(lambda: detector.infer(batches)),
        "detect_1280x960_jpeg_ms": median_ms(lambda: detector(small)),
        "detect_4000x3000_jpeg_ms": median_ms(lambda: detector(big)),
    }


def synthetic_set(style: str, n: int, root: Path, seed: int | None = None) -> Path:
    """The held-out folder for `style`, rendered on first use (1280x960 JPEGs)."""
    seed = EVAL_SEEDS[style] if seed is None else seed
    folder = root / f"eval-{style}-s{seed}"
    labels = folder / "labels"
    if not labels.is_dir() or len(list(labels.glob("*.txt"))) < n:
        from vision.synth import make_catalogue, write_dataset

        if style.startswith("foreign"):
            from vision.foreign import write_foreign

            write_foreign(folder, n, seed=seed, dense=style == "foreign-dense")
        else:
            write_dataset(make_catalogue(0, 12, 6), folder, n, seed=seed, style=style)
    return folder


def format_table(title: str, result: dict[str, Any]) -> str:
    """A Markdown table of one evaluation."""
    lines = [
        f"{title}: {result['images']} images, latency median "
        f"{result['latency_ms']['median']} ms (p95 {result['latency_ms']['p95']} ms)",
        "",
        "| class | boxes | AP50 | AP50:95 |",
        "| --- | --- | --- | --- |",
    ]
    for name, row in result["classes"].items():
        if row["boxes"]:
            lines.append(f"| {name} | {row['boxes']} | {row['ap50']:.3f} | {row['ap50_95']:.3f} |")
        else:
            lines.append(f"| {name} | 0 | - | - |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m vision.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_DETECTOR)
    parser.add_argument("--style", action="append", choices=sorted(EVAL_SEEDS))
    parser.add_argument("-n", type=int, default=120, help="images per style")
    parser.add_argument("--root", type=Path, default=Path(".data/vision"))
    parser.add_argument("--data", type=Path, help="evaluate a YOLO-format folder instead")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--input-size", type=int, nargs=2, metavar=("W", "H"), help="detector input (landscape)"
    )
    parser.add_argument("--conf", type=float, default=0.01)
    parser.add_argument(
        "--latency", action="store_true", help="also time inference and detection on 1, 2 threads"
    )
    parser.add_argument(
        "--shelf",
        type=int,
        default=60,
        metavar="N",
        help="also the whole analysis (facings, share, SKU, unknowns) on N generated photos "
        "per style, as `evaluate-shelf --end-to-end`; 0: none",
    )
    parser.add_argument(
        "--write-json", action="store_true", help="store the results in the model's JSON sidecar"
    )
    args = parser.parse_args(argv)
    size = tuple(args.input_size) if args.input_size else None
    detector = Detector(args.model, threads=args.threads, input_size=size)
    sets = (
        {str(args.data): args.data}
        if args.data
        else {s: synthetic_set(s, args.n, args.root) for s in args.style or ["train", "hard"]}
    )
    results: dict[str, Any] = {}
    for name, folder in sets.items():
        samples = read_yolo(folder)[: args.n]
        results[name] = evaluate_samples(detector, samples, args.conf)
        results[name]["seed"] = EVAL_SEEDS.get(name)
        print(format_table(f"{name} ({folder})", results[name]), "\n", flush=True)  # noqa: T201
    # vision.measure builds on this module's matching, so it is imported here
    from vision.measure import SHELF_STYLES, as_json, markdown, measure_styles
    from vision.recognise import DEFAULT_RECOGNISER, embedder_for

    shelf_styles = [s for s in sets if s in SHELF_STYLES] if not args.data else []
    if args.shelf and shelf_styles:
        reports, title = measure_styles(
            shelf_styles,
            n=args.shelf,
            embedder=embedder_for(DEFAULT_RECOGNISER, threads=args.threads),
            detector=args.model,
            threads=args.threads,
        )
        print(f"whole analysis, {title}\n\n{markdown(shelf_styles, reports)}\n", flush=True)  # noqa: T201
        results["shelf"] = {s: as_json(r) for s, r in zip(shelf_styles, reports, strict=True)}
    if args.latency:
        photo = next(iter(sets.values())) / "images"
        first = sorted(photo.iterdir())[0]
        results["latency"] = [latency(args.model, first, t) for t in (1, 2)]
        print(json.dumps(results["latency"], indent=2), flush=True)  # noqa: T201
    if args.write_json:
        sidecar = args.model.with_suffix(".json")
        meta = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        meta["evaluation"] = {"threads": args.threads, "conf": args.conf, **results}
        sidecar.write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
