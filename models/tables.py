"""Imports every table module, so the metadata is complete for Alembic and the tests."""

from models import analysis, catalogue, outlets, sales, territories, users, visits

__all__ = ["analysis", "catalogue", "outlets", "sales", "territories", "users", "visits"]
