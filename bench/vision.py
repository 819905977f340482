"""Time per 12-megapixel shelf photo: the whole analysis against bare detector inference.

    .venv/bin/python -m bench.vision [--photos 5] [--threads 1 2]

Renders ``--photos`` + 1 generated `train` shelves at 4000x3000 and encodes them as JPEG
quality 90 in memory (in side processes, so rendering counts neither in time nor in peak
memory). Then, for each onnxruntime thread count, in a fresh process set up as a photo
worker (``OPENBLAS_NUM_THREADS=1``, one analyser for the demo catalogue): warms up on the
extra photo, then per photo times the bare ``session.run`` of the detector on that photo's
own letterboxed input (1x3x960x1280 float32, the tensor the analysis feeds it, and the
overview pass's smaller one where the model's sidecar asks for it) and the whole
analysis, bytes in and `ShelfAnalysis` out (draft decode, detect, recognise, measure,
quality), both on the same session. Prints median and p95 of both, the ratio of the medians
(goal: whole <= 1.5x bare), the median whole time (goal: < 1 s), the medians of the stages
the analysis times itself, and peak RSS (ru_maxrss) after the first bare inference and at
the end.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from vision.analyse import Analyser, file_version
from vision.decode import decode
from vision.detect import Detector
from vision.recognise import DEFAULT_RECOGNISER, CatalogueIndex, embedder_for
from vision.session import DEFAULT_DETECTOR
from vision.synth import make_catalogue, render_shelf, write_catalogue_dir
from vision.types import CLASS_ID, CLASSES

SIZE = (4000, 3000)
SEED = 5000  # scenes the detector never trained on (training used dataset seed 0)
STAGES = ("decode", "detect", "recognise", "measure", "quality", "total")
MAX_RATIO, MAX_MS = 1.5, 1000.0
console = Console()


@dataclass
class Phase:
    """One thread count's figures, from its own process."""

    threads: int
    bare_ms: list[float]
    whole_ms: list[float]
    stages: dict[str, float]  # median ms per stage
    products: int  # median product boxes per photo
    rss_bare_mb: float
    rss_mb: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.whole_ms) / statistics.median(self.bare_ms)


def catalogue_dir(folder: Path) -> Path:
    """The demo catalogue (`python -m vision.cli catalogue`: seed 0, 12 x 6, 2 images)."""
    write_catalogue_dir(make_catalogue(0, n_brands=12, skus_per_brand=6), folder, images_per_sku=2)
    return folder


def render(seed: int) -> bytes:
    """One 12 MP shelf photo as a phone would save it (JPEG quality 90)."""
    out = io.BytesIO()
    scene = render_shelf(make_catalogue(0, n_brands=12, skus_per_brand=6), seed, size=SIZE)
    scene.image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def detector_input(detector: Detector, data: bytes) -> list[NDArray[np.float32]]:
    """The batches `Detector` builds from what `vision.decode.decode` hands it: the input,
    and the overview pass's where the model has one."""
    return detector.batches(decode(data).image)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(threads: int, photos: list[bytes], catalogue: Path) -> Phase:
    """Warm up on ``photos[0]``, then time bare inference and the whole analysis on the rest.

    The analyser is handed the `Detector` itself, so both timings share one session; that is
    what `Analyser(..., threads=threads)` builds (the default recogniser's embedder included),
    less a class map that is the identity here.
    """
    detector = Detector(DEFAULT_DETECTOR, threads=threads)
    if detector.classes != CLASSES:  # else the analysis maps classes and the call differs
        raise SystemExit(f"the detector's classes {detector.classes} are not {CLASSES}")
    detector.infer(detector_input(detector, photos[0]))
    rss_bare = peak_rss_mb()
    version = file_version(DEFAULT_DETECTOR)
    embedder = embedder_for(DEFAULT_RECOGNISER, threads=threads)
    index = CatalogueIndex.from_dir(catalogue, embedder=embedder)
    analyser = Analyser(index, detector, detector_version=version)
    analyser(photos[0])
    bare: list[float] = []
    whole: list[float] = []
    stages: list[dict[str, float]] = []
    products: list[int] = []
    for data in photos[1:]:
        batches = detector_input(detector, data)
        started = time.perf_counter()
        detector.infer(batches)
        bare.append((time.perf_counter() - started) * 1000)
        del batches
        started = time.perf_counter()
        result = analyser(data)
        whole.append((time.perf_counter() - started) * 1000)
        stages.append(result.timings_ms)
        products.append(int(np.count_nonzero(result.detections.class_id == CLASS_ID["product"])))
    return Phase(
        threads,
        bare,
        whole,
        {s: statistics.median(t[s] for t in stages) for s in STAGES},
        round(statistics.median(products)),
        rss_bare,
        peak_rss_mb(),
    )


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def goal(ok: bool) -> str:
    return "[green]met[/]" if ok else "[red]missed[/]"


def rows(p: Phase) -> list[str]:
    """One column of the report, in the order of `ROWS`."""
    bare, whole = statistics.median(p.bare_ms), statistics.median(p.whole_ms)
    return [
        f"{bare:.0f}",
        f"{p95(p.bare_ms):.0f}",
        f"{whole:.0f}",
        f"{p95(p.whole_ms):.0f}",
        f"{p.ratio:.2f} {goal(p.ratio <= MAX_RATIO)}",
        goal(whole < MAX_MS),
        *(f"{p.stages[s]:.0f}" for s in STAGES),
        f"{p.stages['detect'] - bare:.0f}",
        str(p.products),
        f"{p.rss_bare_mb:.0f}",
        f"{p.rss_mb:.0f}",
    ]


ROWS = (
    "bare inference, median ms",
    "bare inference, p95 ms",
    "whole analysis, median ms",
    "whole analysis, p95 ms",
    f"whole / bare, medians (goal ≤ {MAX_RATIO})",
    f"whole median < {MAX_MS:.0f} ms",
    *(f"  stage {s}, median ms" for s in STAGES),
    "  detect stage - bare inference, ms",
    "product boxes per photo, median",
    "peak RSS, session + first inference, MB",
    "peak RSS at the end, MB",
)


def report(phases: list[Phase], photos: list[bytes]) -> None:
    title = f"per {SIZE[0]}x{SIZE[1]} JPEG, {len(photos) - 1} photos"
    table = Table("onnxruntime threads", *(str(p.threads) for p in phases), title=title)
    for name, *cells in zip(ROWS, *(rows(p) for p in phases), strict=True):
        table.add_row(name, *cells)
    console.print(table)
    megabytes = statistics.mean(len(p) for p in photos) / 1e6
    console.print(
        f"JPEGs {megabytes:.1f} MB on average; {os.cpu_count()} CPUs; "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; load average (1 min) "
        f"{os.getloadavg()[0]:.2f}; stages: the analysis's own `timings_ms`"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5, help="Timed photos per thread count.")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="onnxruntime intra-op threads."
    )
    args = parser.parse_args()
    # As a photo worker runs (bench/pipeline.py); inherited by the spawned processes.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    spawn = multiprocessing.get_context("spawn")
    seeds = range(SEED, SEED + args.photos + 1)
    with tempfile.TemporaryDirectory(prefix="fieldsales-bench-") as tmp:
        with console.status(f"rendering {len(seeds)} shelves at {SIZE[0]}x{SIZE[1]}..."):
            with ProcessPoolExecutor(2, mp_context=spawn) as pool:
                written = pool.submit(catalogue_dir, Path(tmp))
                photos = list(pool.map(render, seeds))
                folder = written.result()
        phases = []
        for threads in args.threads:
            with console.status(f"{threads} thread(s): {args.photos} photos..."):
                with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                    phases.append(pool.submit(measure, threads, photos, folder).result())
    report(phases, photos)


if __name__ == "__main__":
    main()
