"""The `vision` typer app: catalogue, analyse (JSON lines, errors per photo), annotate,
evaluate-shelf."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from vision.catalogue import read_catalogue_dir
from vision.cli import app

DUMMY = Path(__file__).parent / "data" / "yolov8_dummy.onnx"
runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("analyse", "annotate", "catalogue", "evaluate-shelf"):
        assert command in result.output


def test_catalogue_writes_a_readable_catalogue_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalogue", str(tmp_path), "--brands", "2", "--skus", "2"])
    assert result.exit_code == 0, result.output
    entries = read_catalogue_dir(tmp_path)
    assert len(entries) == 4
    assert all(len(e.images) == 2 and (tmp_path / e.images[0]).is_file() for e in entries)


def test_analyse_prints_one_json_object_per_photo_and_fails_on_bad_ones(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    good, bad = tmp_path / "shelf.jpg", tmp_path / "notes.txt"
    Image.new("RGB", (640, 480), (120, 90, 60)).save(good)
    bad.write_text("not a photo")
    args = ["analyse", str(good), str(bad), "--catalogue", str(catalogue_dir), "--json"]
    result = runner.invoke(app, [*args, "--detector", str(DUMMY)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(bad)]
    assert {"width", "height", "detections", "facings", "brand_share", "quality"} <= set(lines[0])
    assert (lines[0]["width"], lines[0]["height"]) == (640, 480)
    assert lines[1]["error"] == "NotAnImage"


def test_analyse_without_json_prints_a_summary(tmp_path: Path, catalogue_dir: Path) -> None:
    photo = tmp_path / "shelf.png"
    Image.new("RGB", (640, 480), (120, 90, 60)).save(photo)
    args = ["analyse", str(photo), "--catalogue", str(catalogue_dir), "--detector", str(DUMMY)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "quality flags" in result.output


def test_annotate_writes_a_jpeg(tmp_path: Path, catalogue_dir: Path) -> None:
    photo, out = tmp_path / "shelf.jpg", tmp_path / "out.jpg"
    Image.new("RGB", (640, 480), (120, 90, 60)).save(photo)
    args = ["annotate", str(photo), "-o", str(out), "--catalogue", str(catalogue_dir)]
    result = runner.invoke(app, [*args, "--detector", str(DUMMY)])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (640, 480)


def test_evaluate_shelf_measures_generated_and_foreign_shelves_side_by_side() -> None:
    result = runner.invoke(
        app,
        ["evaluate-shelf", "-n", "1", "--style", "clean", "--style", "foreign", "--brands", "8"],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "measure" in line)
    assert "clean" in header
    assert "foreign" in header
    assert "foreign:" in result.output
    assert "generated:" in result.output
    assert "SKU top-1 among recognised" in result.output


def test_evaluate_shelf_takes_another_embedder_and_names_it(tmp_path: Path) -> None:
    from vision.embed.runtime import DEFAULT_EMBEDDER

    model = tmp_path / "candidate.onnx"
    shutil.copyfile(DEFAULT_EMBEDDER, model)
    sidecar = json.loads(DEFAULT_EMBEDDER.with_suffix(".json").read_text())
    model.with_suffix(".json").write_text(json.dumps({**sidecar, "version": "embed-candidate"}))
    result = runner.invoke(
        app,
        ["evaluate-shelf", "-n", "1", "--style", "clean", "--embedder", str(model)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "embed-candidate+blocks" in result.output


def _percent(output: str, name: str) -> float:
    """The figure of the table row `name`, a percentage."""
    line = next(line for line in output.splitlines() if name in line)
    return float(line.split()[-2].rstrip("%"))


def test_evaluate_shelf_end_to_end_runs_the_detector_it_is_given() -> None:
    args = ["evaluate-shelf", "-n", "1", "--style", "clean"]
    truth = runner.invoke(app, args, terminal_width=200)
    shipped = runner.invoke(app, [*args, "--end-to-end"], terminal_width=200)
    other = runner.invoke(app, [*args, "--detector", str(DUMMY)], terminal_width=200)
    for result in (truth, shipped, other):
        assert result.exit_code == 0, result.output
    assert "recognise + KPIs per photo" in truth.output
    assert "whole analysis per photo" in shipped.output
    # a shelf photo's products are found by the shipped detector, not by a dummy model
    assert _percent(shipped.output, "products detected") >= 90.0
    assert _percent(other.output, "products detected") == 0.0
    assert _percent(other.output, "facings count error") == 100.0
