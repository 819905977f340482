"""Deterministic synthetic shelf photos with ground truth, for training and evaluation.

catalogue = make_catalogue(seed=1, n_brands=12, skus_per_brand=6)
write_catalogue_dir(catalogue, "out/catalogue")      # reference packs + catalogue.json
scene = render_shelf(catalogue, seed=7, style="train")  # image, boxes, classes, skus...
write_dataset(catalogue, "out/train", n=5000, workers=2)  # JPEG + YOLO + manifest
"""

from vision.synth.catalogue import Brand, Catalogue, Sku, make_catalogue, write_catalogue_dir
from vision.synth.dataset import write_dataset
from vision.synth.packs import render_pack
from vision.synth.scene import Scene, render_shelf, shelf_kpis
from vision.synth.styles import STYLES, Style

__all__ = [
    "STYLES",
    "Brand",
    "Catalogue",
    "Scene",
    "Sku",
    "Style",
    "make_catalogue",
    "render_pack",
    "render_shelf",
    "shelf_kpis",
    "write_catalogue_dir",
    "write_dataset",
]
