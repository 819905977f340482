"""Command line: `python -m vision.synth catalogue OUT` or `python -m vision.synth dataset OUT`."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from vision.synth.catalogue import make_catalogue, write_catalogue_dir
from vision.synth.dataset import write_dataset
from vision.synth.styles import STYLES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vision.synth", description=__doc__)
    parser.add_argument("command", choices=("catalogue", "dataset"))
    parser.add_argument("out", type=Path, help="folder to write")
    parser.add_argument("--catalogue-seed", type=int, default=0)
    parser.add_argument("--brands", type=int, default=12)
    parser.add_argument("--skus-per-brand", type=int, default=6)
    parser.add_argument("--images-per-sku", type=int, default=1)
    parser.add_argument("-n", type=int, default=100, help="images in the dataset")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument("--style", choices=sorted(STYLES), default="train")
    parser.add_argument("--size", type=int, nargs=2, default=(1280, 960), metavar=("W", "H"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--wobblers",
        type=float,
        default=1.0,
        help="multiply the odds of a wobbler on a shelf edge (training sets rich in them)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Write a catalogue directory, or a dataset with its catalogue in OUT/catalogue."""
    args = _parser().parse_args(argv)
    catalogue = make_catalogue(args.catalogue_seed, args.brands, args.skus_per_brand)
    console = Console()
    if args.command == "catalogue":
        path = write_catalogue_dir(catalogue, args.out, images_per_sku=args.images_per_sku)
    else:
        write_catalogue_dir(catalogue, args.out / "catalogue", images_per_sku=args.images_per_sku)
        path = write_dataset(
            catalogue,
            args.out,
            args.n,
            seed=args.seed,
            style=args.style,
            size=tuple(args.size),
            workers=args.workers,
            wobblers=args.wobblers,
        )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
