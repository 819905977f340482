"""Shared fixtures for the vision tests: one small catalogue per session, its directory
and the recogniser's index of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.recognise import CatalogueIndex
from vision.synth.catalogue import Catalogue, make_catalogue, write_catalogue_dir


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """Six brands in two categories (one cooler category), four SKUs each."""
    return make_catalogue(11, n_brands=6, skus_per_brand=4, categories=("beverages", "snacks"))


@pytest.fixture(scope="session")
def catalogue_dir(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session catalogue written as a catalogue directory, two images per SKU."""
    folder = tmp_path_factory.mktemp("catalogue")
    write_catalogue_dir(catalogue, folder, images_per_sku=2)
    return folder


@pytest.fixture(scope="session")
def index(catalogue_dir: Path) -> CatalogueIndex:
    """The recogniser's index of the session catalogue."""
    return CatalogueIndex.from_dir(catalogue_dir)
