"""Unit prices (単価) and inspection fees (検査手数料・技術情報管理手数料) the association keeps.

Both are effective-dated rows, seeded from the shipped data files (``app/domain/data/prices.json``
and ``inspection_fees.json``) by migration 0012_admin_price_fee_tables, and edited on the
association's screens (``views/fees.py``) through ``services/fees.py``. Every change is audited.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from app.models.base import TimestampMixin


class UnitPrice(TimestampMixin, Model):
    __label__ = "単価"
    __tablename__ = "unit_price"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("kind", "effective_from", name="uq_unit_price_kind_from"),
        CheckConstraint("kind IN ('certificate', 'record')", name="ck_unit_price_kind"),
        CheckConstraint("amount_yen >= 0", name="ck_unit_price_amount"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    amount_yen = Column(Integer, nullable=False)
    tax_included = Column(Boolean, nullable=False, default=True)
    tax_rate = Column(String(8), nullable=False, default="0.10")  # exact decimal text
    effective_from = Column(Date, nullable=False)
    source = Column(Text, nullable=False)

    def __repr__(self):
        return f"{self.kind} {self.amount_yen}円 ({self.effective_from})"


class InspectionFee(TimestampMixin, Model):
    """One fee part for one vehicle kind (and, for 検査手数料, how it is applied) over a period."""

    __label__ = "検査手数料"
    __tablename__ = "inspection_fee"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("part IN ('inspection_fee', 'technical_info_fee')",
                        name="ck_inspection_fee_part"),
        CheckConstraint("status IN ('confirmed', 'proposed')", name="ck_inspection_fee_status"),
        CheckConstraint("status = 'proposed' OR amount_yen IS NOT NULL",
                        name="ck_inspection_fee_confirmed_amount"),
    )

    id = Column(Integer, primary_key=True)
    part = Column(String(30), nullable=False)
    vehicle_kind = Column(String(20), nullable=False)
    fee_as = Column(String(10))  # window / oss for 検査手数料; NULL for 技術情報管理手数料
    effective_from = Column(Date)  # NULL: since ever
    effective_until = Column(Date)  # inclusive; NULL: open
    amount_yen = Column(Integer)  # NULL while only proposed
    proposed_amount_yen = Column(Integer)
    payee = Column(String(50), nullable=False)
    status = Column(String(20), nullable=False, default="confirmed")
    source = Column(Text, nullable=False)

    def __repr__(self):
        return f"{self.part} {self.vehicle_kind} {self.fee_as or ''} {self.effective_from}"
