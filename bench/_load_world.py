"""The world bench/load.py runs in: reps with outlets, a catalogue, a pool of shelf photos."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from api import tokens
from models.db import unit_of_work
from models.demo.catalogue import add_pack_images, demo_catalogue, insert_catalogue, make_products
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from vision.synth import render_shelf

SEED = 7
OUTLETS_PER_REP = 8
POOL = 8  # distinct shelves (sharp: no camera blur); each upload still gets bytes of its own
SIZE = (640, 480)  # small phone photos: above the quality check's 480 px floor
TILE = 0.02  # degrees: each rep's territory is a square tile of a grid


def render_pool(folder: Path) -> list[str]:
    """JPEG shelf photos of the seeded catalogue, written once before the load."""
    catalogue = demo_catalogue(SEED)
    paths = []
    for seed in range(POOL):
        out = io.BytesIO()
        scene = render_shelf(catalogue, seed, style="clean", size=SIZE)
        scene.image.save(out, format="JPEG", quality=85)
        path = folder / f"shelf-{seed}.jpg"
        path.write_bytes(out.getvalue())
        paths.append(str(path))
    return paths


def seed_world(engine: Engine, settings: Settings, reps: int, folder: Path) -> Path:
    """Seed the database and write the world file the locustfile reads; returns its path."""
    rng = np.random.default_rng(SEED)
    world: dict[str, object] = {"photos": render_pool(folder)}
    with unit_of_work(engine) as session:
        products = make_products(rng, SEED)
        insert_catalogue(session, products)
        add_pack_images(session, make_store(settings), products, max_bytes=10**7)
        people = []
        for i in range(reps):
            corner = (2.0 + (i % 20) * TILE, 48.0 + (i // 20) * TILE)
            territory = create_territory(session, corner=corner, size=TILE)
            points = corner + rng.uniform(0.1, 0.9, (OUTLETS_PER_REP, 2)) * TILE
            outlets = [create_outlet(session, lon=lon, lat=lat) for lon, lat in points.tolist()]
            rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
            people.append(
                {
                    "token": tokens.issue(settings, rep).access_token,
                    "outlets": [
                        {"id": str(o.id), "lon": lon, "lat": lat}
                        for o, (lon, lat) in zip(outlets, points.tolist(), strict=True)
                    ],
                }
            )
        world["reps"] = people
        world["skus"] = [
            str(s)
            for s, active in zip(products.sku_ids, products.delist == 12, strict=True)
            if active
        ]
        world["brands"] = [str(b) for b in products.brand_ids]
    path = folder / "world.json"
    path.write_text(json.dumps(world))
    return path
