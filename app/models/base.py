"""Shared column helpers."""
from sqlalchemy import Column, DateTime

from app.timeutil import utcnow_naive


class TimestampMixin:
    """created_at / updated_at in UTC (naive, the same on SQLite and PostgreSQL)."""

    created_at = Column(DateTime, nullable=False, default=utcnow_naive)
    updated_at = Column(DateTime, nullable=False, default=utcnow_naive, onupdate=utcnow_naive)
