"""`fieldsales plan opportunities`: the ranked prospects as a table and as GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine

from models import migrate
from models.db import unit_of_work
from models.outlets import Channel, OutletStatus
from tests.cli.conftest import fieldsales
from tests.factories.catalogue import create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import create_sale


def test_opportunities_table_and_geojson(make_database: Callable[[], str], tmp_path: Path) -> None:
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    today = datetime.now(UTC).date()
    with unit_of_work(engine) as session:
        create_territory(session, code="LYON", corner=(4.8, 45.7), size=0.2)
        sku = create_sku(session)
        served = create_outlet(
            session, code="SERVED", lon=4.85, lat=45.75, channel=Channel.convenience
        )
        create_sale(
            session,
            outlet=served,
            sku=sku,
            day=date(today.year, today.month, 1),
            quantity=Decimal(10),
            value=Decimal(25),
        )
        create_outlet(
            session, code="PROSPECT-1", lon=4.851, lat=45.751, channel=Channel.convenience,
            status=OutletStatus.prospect,
        )  # fmt: skip
    engine.dispose()
    out = tmp_path / "prospects.geojson"

    result = fieldsales(
        "plan", "opportunities", "--territory", "LYON", "--geojson", str(out),
        env={"DATABASE_URL": url, "COLUMNS": "250"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "PROSPECT-1" in result.stdout
    features = json.loads(out.read_text())["features"]
    assert [f["properties"]["code"] for f in features] == ["PROSPECT-1"]
    assert features[0]["geometry"]["coordinates"] == [4.851, 45.751]
