"""Billable events: one per billed object, enforced by the database.

A 保適証 is billed when it becomes linked (連携済), a record at its first PDF output
(出力済). ``uq_billable_event_object`` makes a second event for the same object
impossible, whatever the concurrency; app/services/billable.py records them.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)

BILLABLE_KINDS = ("certificate", "record")

from app.models.base import SiteOwnedMixin


class BillableEvent(SiteOwnedMixin, Model):
    __label__ = "請求対象"
    __tablename__ = "billable_event"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("kind", "object_id", name="uq_billable_event_object"),
        CheckConstraint("kind IN ('certificate', 'record')", name="ck_billable_event_kind"),
        Index("ix_billable_event_month", "occurred_at", "business_id"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    object_id = Column(Integer, nullable=False)  # certificate.id or record.id
    occurred_at = Column(DateTime, nullable=False)  # UTC; the month is taken in Japan time
