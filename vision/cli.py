"""`fieldsales vision ...`: analyse and annotate shelf photos, write the demo catalogue.

A typer app of its own (`app`), importing nothing from api/ or models/ (nor, until a
command runs, onnxruntime); the main CLI mounts it as `vision`. Also runs alone:
`python -m vision.cli --help`.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Shelf photos: detect, recognise, measure.", no_args_is_help=True)

CatalogueOpt = Annotated[
    Path,
    typer.Option(
        "--catalogue",
        "-c",
        help="Catalogue directory (catalogue.json + <sku>_<n>.png).",
        exists=True,
        file_okay=False,
    ),
]
DetectorOpt = Annotated[
    Path | None, typer.Option("--detector", help="ONNX detector [default: the shipped one].")
]
RecogniserOpt = Annotated[
    str | None,
    typer.Option(
        "--recogniser",
        help="SKU recogniser: labgrid (colour descriptor) or embed (learned embedding) "
        "[default: vision.recognise.DEFAULT_RECOGNISER].",
    ),
]


def _summary(name: str, result: dict[str, Any]) -> Table:
    table = Table(title=f"{name}: {result['width']}x{result['height']}", show_lines=False)
    table.add_column("brand")
    table.add_column("share", justify="right")
    for brand, share in sorted(result["brand_share"].items(), key=lambda kv: -kv[1]):
        table.add_row(brand, f"{share:.1%}")
    table.add_row("unknown", f"{result['unknown_share']:.1%}")
    products = sum(d["class"] == "product" for d in result["detections"])
    flags = ", ".join(result["quality"]["flags"]) or "none"
    table.caption = (
        f"{products} products on {len(result['shelves'])} shelves, "
        f"{len(result['gaps'])} gaps, {result['price_tags']} price tags, "
        f"{len(result['displays'])} displays, {len(result['posm'])} POSM; "
        f"quality flags: {flags}; phash {result['phash']}"
    )
    return table


@app.command()
def analyse(
    photos: Annotated[list[Path], typer.Argument(help="Photos (JPEG, PNG, WebP, HEIC).")],
    catalogue: CatalogueOpt,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    detector: DetectorOpt = None,
    threads: Annotated[int, typer.Option(help="onnxruntime threads.")] = 2,
    recogniser: RecogniserOpt = None,
) -> None:
    """Analyse shelf photos: detections, SKUs, facings, share of shelf, gaps, quality."""
    from vision.analyse import Analyser
    from vision.decode import BadImage
    from vision.session import DEFAULT_DETECTOR

    analyser = Analyser(
        catalogue, detector or DEFAULT_DETECTOR, threads=threads, recogniser=recogniser
    )
    console, failed = Console(), 0
    for photo in photos:
        try:
            result = {"file": str(photo), **analyser(photo).to_json()}
        except (BadImage, OSError) as exc:
            failed += 1
            result = {"file": str(photo), "error": type(exc).__name__, "message": str(exc)}
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        elif "error" in result:
            console.print(f"[red]{photo}: {result['error']}: {result['message']}[/red]")
        else:
            console.print(_summary(str(photo), result))
    if failed:
        raise typer.Exit(1)


@app.command()
def annotate(
    photo: Annotated[Path, typer.Argument(help="The photo.", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the JPEG.")],
    catalogue: CatalogueOpt,
    detector: DetectorOpt = None,
    max_side: Annotated[int | None, typer.Option(help="Longest side of the output, px.")] = None,
) -> None:
    """Draw boxes, SKU labels and the per-brand share of shelf on a photo."""
    from vision.analyse import Analyser
    from vision.annotate import annotate as draw
    from vision.session import DEFAULT_DETECTOR

    data = photo.read_bytes()
    result = Analyser(catalogue, detector or DEFAULT_DETECTOR)(data)
    out.write_bytes(draw(data, result, max_side=max_side))
    typer.echo(str(out))


@app.command("catalogue")
def write_catalogue(
    out: Annotated[Path, typer.Argument(help="Directory to write.")],
    seed: Annotated[int, typer.Option(help="Catalogue seed.")] = 0,
    brands: Annotated[int, typer.Option(help="Number of brands.")] = 12,
    skus: Annotated[int, typer.Option(help="SKUs per brand.")] = 6,
    images: Annotated[int, typer.Option(help="Reference images per SKU.")] = 2,
) -> None:
    """Write the demo catalogue (generated packs) as a catalogue directory."""
    from vision.synth import make_catalogue, write_catalogue_dir

    cat = make_catalogue(seed, n_brands=brands, skus_per_brand=skus)
    typer.echo(str(write_catalogue_dir(cat, out, images_per_sku=images)))


@app.command("evaluate-shelf")
def evaluate_shelf(
    n: Annotated[int, typer.Option("-n", help="Generated photos per style.")] = 40,
    style: Annotated[list[str], typer.Option(help="Styles, or foreign.")] = ["train", "hard"],  # noqa: B006
    catalogue_seed: Annotated[int, typer.Option(help="Catalogue seed.")] = 0,
    brands: Annotated[int, typer.Option(help="Brands in the catalogue.")] = 12,
    holdout_every: Annotated[int, typer.Option(help="Leave every k-th brand out.")] = 4,
    recogniser: RecogniserOpt = None,
    threads: Annotated[
        int, typer.Option(help="onnxruntime threads of the embedder (and detector).")
    ] = 1,
    embedder: Annotated[
        Path | None, typer.Option(help="Another embedder's .onnx (its sidecar beside it).")
    ] = None,
    end_to_end: Annotated[
        bool, typer.Option(help="The whole analysis with the shipped detector, not true boxes.")
    ] = False,
    detector: Annotated[
        Path | None, typer.Option(help="The whole analysis with this ONNX detector.")
    ] = None,
) -> None:
    """Recognition and shelf-KPI errors on generated photos, ground-truth boxes as detector
    (`--style foreign`: the foreign renderer's own packs and photos); with `--end-to-end` or
    `--detector`, those of the whole analysis, detection included."""
    from vision.measure import SHELF_STYLES, measure_styles
    from vision.recognise import DEFAULT_RECOGNISER, embedder_for
    from vision.session import DEFAULT_DETECTOR

    unknown = sorted(set(style) - set(SHELF_STYLES))
    if unknown:
        raise typer.BadParameter(f"{unknown}: not one of {SHELF_STYLES}", param_hint="--style")
    reports, title = measure_styles(
        style,
        n=n,
        catalogue_seed=catalogue_seed,
        brands=brands,
        holdout_every=holdout_every,
        embedder=embedder_for(recogniser or DEFAULT_RECOGNISER, threads=threads, path=embedder),
        detector=detector or (DEFAULT_DETECTOR if end_to_end else None),
        threads=threads,
    )
    Console().print(shelf_table(title, style, reports))


def shelf_table(title: str, styles: list[str], reports: list[Any]) -> Table:
    """The reports of `measure_styles` as one table, a column per style."""
    from vision.measure import as_rows

    table = Table(title=title)
    table.add_column("measure")
    for s in styles:
        table.add_column(s, justify="right")
    for i, (name, _) in enumerate(as_rows(reports[0])):
        table.add_row(name, *(as_rows(r)[i][1] for r in reports))
    return table


if __name__ == "__main__":
    app()


PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.command(context_settings=PASS_THROUGH)
def train(ctx: typer.Context) -> None:
    """Train the detector (needs the `train` extra: torch); arguments as `--help` lists them."""
    # Imported by name: torch loads only for training, and type checks run without it.
    importlib.import_module("vision.detector.train").main(list(ctx.args))


@app.command(context_settings=PASS_THROUGH)
def evaluate(ctx: typer.Context) -> None:
    """Evaluate the detector on held-out generated scenes: AP per class and latency."""
    from vision.evaluate import main

    main(list(ctx.args))
