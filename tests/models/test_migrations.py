"""Migrations build exactly the schema the models describe, and unwind cleanly."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect

import models.tables  # noqa: F401
from models import migrate
from models.base import metadata


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": migrate.include_object},
        )
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_downgrade_to_base_and_up_again(make_database: Callable[[], str]) -> None:
    engine = create_engine(make_database())
    migrate.upgrade(engine)

    migrate.downgrade(engine, "base")
    left = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    migrate.upgrade(engine)

    assert left == set()
    assert migrate.current(engine) == migrate.head()
    engine.dispose()
