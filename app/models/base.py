"""Shared column helpers."""
from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlalchemy.orm import declared_attr

from app.timeutil import utcnow_naive


class TimestampMixin:
    """created_at / updated_at in UTC (naive, the same on SQLite and PostgreSQL)."""

    created_at = Column(DateTime, nullable=False, default=utcnow_naive)
    updated_at = Column(DateTime, nullable=False, default=utcnow_naive, onupdate=utcnow_naive)


class SiteOwnedMixin:
    """The two columns every row owned by a site carries; app/tenancy.py scopes by them."""

    __tenant_scope__ = "site"

    @declared_attr
    def business_id(cls):
        return Column(Integer, ForeignKey("business.id"), nullable=False, index=True)

    @declared_attr
    def site_id(cls):
        return Column(Integer, ForeignKey("site.id"), nullable=False, index=True)
