"""Imports every table module, so the metadata is complete for Alembic and the tests."""

from models import catalogue, outlets, sales, territories, users, visits

__all__ = ["catalogue", "outlets", "sales", "territories", "users", "visits"]
