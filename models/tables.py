"""Imports every table module, so the metadata is complete for Alembic and the tests."""

from models import (
    analysis,
    catalogue,
    outlets,
    perfect_store,
    rollups,
    sales,
    territories,
    users,
    visits,
)
from models.planning import history as planning_history  # noqa: F401
from models.planning import lookalike_store as planning_lookalikes  # noqa: F401
from models.planning import rollup as planning_rollup  # noqa: F401
from models.planning import tables as planning_tables  # noqa: F401

__all__ = [
    "analysis",
    "catalogue",
    "outlets",
    "perfect_store",
    "rollups",
    "sales",
    "territories",
    "users",
    "visits",
]
