"""Alembic environment: runs on the connection models/migrate.py hands over."""

from __future__ import annotations

from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers

import models.tables  # noqa: F401  (registers every table on the metadata)
from models.base import metadata



def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave the job queue's own tables (procrastinate's schema) out of autogenerate."""
    if type_ == "table" and name and name.startswith("procrastinate_"):
        return False
    if type_ == "index" and name and name.startswith(("procrastinate_", "idx_procrastinate")):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


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
