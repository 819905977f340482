"""Imports every table module, so the metadata is complete for Alembic and the tests."""

from models import territories, users

__all__ = ["territories", "users"]
