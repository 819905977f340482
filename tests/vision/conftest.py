"""Shared fixtures for the vision tests: one small catalogue per session."""

from __future__ import annotations

import pytest

from vision.synth.catalogue import Catalogue, make_catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """Six brands in two categories (one cooler category), four SKUs each."""
    return make_catalogue(11, n_brands=6, skus_per_brand=4, categories=("beverages", "snacks"))
