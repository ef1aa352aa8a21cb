"""承諾書: the vehicle user's consent to the electronic 保適証 and 自賠責 (shop-workflow.md §5).

One ``Consent`` is signed on the tablet (``method = "signature"``, the PNG drawn with a finger)
or taken from a scan of a paper one (``"scan"``: PDF, JPEG or PNG). It covers the vehicles in
``ConsentVehicle`` by 車台番号: one for a single car, a list for a company's bulk 承諾書. The
wizard looks a valid one up by 車台番号 (services/certificates/consents.py).
"""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.base import SiteOwnedMixin, TimestampMixin


class Consent(SiteOwnedMixin, TimestampMixin, Model):
    __label__ = "承諾書"
    __tablename__ = "consent"
    __tenant_scope__ = "site"
    __audited__ = True
    __audit_exclude__ = ("document",)
    __table_args__ = (
        CheckConstraint("method IN ('signature', 'scan')", name="ck_consent_method"),
        CheckConstraint("valid_until >= signed_on", name="ck_consent_valid_after_signed"),
    )

    id = Column(Integer, primary_key=True)
    customer_name = Column(String(200), nullable=False)  # 使用者: a person or a company
    is_company = Column(Boolean, nullable=False, default=False)
    signer_name = Column(String(100), nullable=False)  # who signed (a company's person in charge)
    signer_title = Column(String(100))  # their post, for a company
    method = Column(String(10), nullable=False)
    document = Column(LargeBinary, nullable=False)  # the signature PNG or the scan, as received
    document_type = Column(String(40), nullable=False)  # image/png, image/jpeg, application/pdf
    signed_on = Column(Date, nullable=False)
    valid_until = Column(Date, nullable=False, index=True)
    taken_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    site = relationship("Site")
    vehicles = relationship("ConsentVehicle", back_populates="consent", cascade="all, delete-orphan",
                            order_by="ConsentVehicle.id")

    def __repr__(self):
        return f"{self.customer_name} ({self.signed_on})"


class ConsentVehicle(SiteOwnedMixin, Model):
    """One vehicle a consent covers, by its 車台番号 as the 車検証 prints it."""

    __label__ = "承諾書の対象車両"
    __tablename__ = "consent_vehicle"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("consent_id", "chassis_number", name="uq_consent_vehicle_chassis"),
        Index("ix_consent_vehicle_lookup", "business_id", "chassis_number"),
    )

    id = Column(Integer, primary_key=True)
    consent_id = Column(Integer, ForeignKey("consent.id", ondelete="CASCADE"), nullable=False, index=True)
    chassis_number = Column(String(32), nullable=False)

    consent = relationship("Consent", back_populates="vehicles")
