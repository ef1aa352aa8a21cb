"""Shared column helpers."""
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import declared_attr, validates

from app.domain import plates
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


def plate_indexes(table):
    """The indexes a PlateSearchMixin table needs (migration 0009_plate_keys): a serial or a
    whole plate, newest first, by b-tree; part of a plate by trigram on PostgreSQL."""
    return (
        Index(f"ix_{table}_plate_serial", "plate_serial", "inspection_date", "id"),
        Index(f"ix_{table}_plate_key", "plate_key", "inspection_date", "id"),
        Index(f"ix_{table}_plate_trgm", "plate_key", postgresql_using="gin",
              postgresql_ops={"plate_key": "gin_trgm_ops"}),
    )


class PlateSearchMixin:
    """The search keys of ``registration_number`` (app/domain/plates.py), kept in step with it
    whenever it is set; bulk loaders write them with ``plates.plate_key``/``plate_serial``."""

    plate_key = Column(String(plates.KEY_LENGTH))
    plate_serial = Column(String(plates.SERIAL_LENGTH))

    @validates("registration_number")
    def _keep_plate_keys(self, _key, value):
        self.plate_key = plates.plate_key(value)
        self.plate_serial = plates.plate_serial(value)
        return value

    @classmethod
    def plate_matches(cls, text):
        """The condition for rows whose plate matches what was typed, or None."""
        return plates.criterion(cls.plate_key, cls.plate_serial, text)
