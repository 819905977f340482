"""Alembic environment: runs on the connection models/migrate.py hands over."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

import models.tables  # noqa: F401  (registers every table on the metadata)
from models.base import metadata
from models.migrate import include_object

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    compare_type=True,
    include_object=include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
)
with context.begin_transaction():
    context.run_migrations()
