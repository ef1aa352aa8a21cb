"""The certificate aggregate: vehicles, wizard drafts, 保適証 (Certificate), OSS requests,
their timeline of outside calls, and each site's printer offset for the hybrid forms.

Every row carries ``business_id`` and ``site_id`` so the tenancy layer scopes it without joins.
A Certificate's status codes are the glossary's (draft, queued, sent, linked, reported,
completed, rejected, failed, deleted); the sender in app/services/certificates/sender.py moves them.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.base import PlateSearchMixin, SiteOwnedMixin, TimestampMixin, plate_indexes

CERTIFICATE_STATUSES = ("draft", "queued", "sent", "linked", "reported", "completed",
                        "rejected", "failed", "deleted")
OSS_REQUEST_STATUSES = ("queued", "accepted", "filing", "paid", "under_review",
                        "correction_requested", "returned", "rejected", "withdrawn",
                        "completed", "failed")
APPLICATION_TYPES = ("oss", "hybrid")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Vehicle(SiteOwnedMixin, TimestampMixin, Model):
    """A vehicle a business has inspected, matched again by its 車台番号."""

    __label__ = "車両"
    __tablename__ = "vehicle"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("business_id", "chassis_number", name="uq_vehicle_business_chassis"),
    )

    id = Column(Integer, primary_key=True)
    chassis_number = Column(String(32), nullable=False)
    vehicle_kind = Column(String(20), nullable=False)
    registration_number = Column(String(40))
    model = Column(String(40))
    first_registration = Column(String(7))  # "YYYY-MM"
    last_odometer_km = Column(Integer)
    last_inspection_date = Column(Date)

    def __repr__(self):
        return self.chassis_number


class CertificateDraft(SiteOwnedMixin, TimestampMixin, Model):
    """The wizard's state between steps, in the database so another device can resume it."""

    __label__ = "保適証の下書き"
    __tablename__ = "certificate_draft"
    __tenant_scope__ = "site"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    step = Column(String(20), nullable=False, default="scan")
    data = Column(JSON, nullable=False, default=dict)
    certificate_id = Column(Integer, ForeignKey("certificate.id"))  # set once confirmed

    site = relationship("Site")


class Certificate(PlateSearchMixin, SiteOwnedMixin, TimestampMixin, Model):
    """An electronic 保安基準適合証 as we hold it, and where it is at AIRAS."""

    __label__ = "保適証"
    __tablename__ = "certificate"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_certificate_idempotency_key"),
        UniqueConstraint("airas_id", name="uq_certificate_airas_id"),  # one AIRAS record, one certificate
        CheckConstraint(_in("status", CERTIFICATE_STATUSES), name="ck_certificate_status"),
        CheckConstraint(_in("application_type", APPLICATION_TYPES),
                        name="ck_certificate_application_type"),
        Index("ix_certificate_due", "status", "next_attempt_at"),
        # The list pages and searches at scale (migration 0008_list_indexes).
        Index("ix_certificate_business_date", "business_id", "inspection_date", "id"),
        Index("ix_certificate_site_date", "site_id", "inspection_date", "id"),
        Index("ix_certificate_updated_at", "updated_at"),
        Index("ix_certificate_status_updated", "status", "updated_at"),
        *plate_indexes("certificate"),
        Index("ix_certificate_chassis_trgm", "chassis_number", postgresql_using="gin",
              postgresql_ops={"chassis_number": "gin_trgm_ops"}),
    )

    id = Column(Integer, primary_key=True)
    vehicle_id = Column(Integer, ForeignKey("vehicle.id"), nullable=False, index=True)
    inspector_id = Column(Integer, ForeignKey("inspector.id"), nullable=False)
    certified_by_id = Column(Integer, ForeignKey("ab_user.id"))

    status = Column(String(20), nullable=False, default="queued")
    application_type = Column(String(10), nullable=False)
    vehicle_kind = Column(String(20), nullable=False)
    chassis_number = Column(String(32), nullable=False, index=True)
    registration_number = Column(String(40))
    model = Column(String(40))
    inspection_date = Column(Date, nullable=False, index=True)
    issue_date = Column(Date, nullable=False)
    odometer_km = Column(Integer, nullable=False)
    validity_years = Column(Integer, nullable=False)
    new_expiry_date = Column(Date)
    certificate_valid_until = Column(Date)
    last_application_date = Column(Date)
    weight_tax_yen = Column(Integer)
    inspection_fee_yen = Column(Integer)
    # What was decided in the wizard (dates, weight tax both ways, insurance, owner), as shown.
    details = Column(JSON, nullable=False, default=dict)
    # The AIRAS body exactly as sent: a retry must send the same bytes under the same key.
    payload = Column(JSON, nullable=False)

    idempotency_key = Column(String(80), nullable=False)
    airas_id = Column(String(40))
    issue_number = Column(String(40))  # 交付番号
    airas_status = Column(String(20))  # AIRAS's own word (作成中, 作成済, ...)
    report_status = Column(String(20))
    reason_code = Column(String(40))
    reason = Column(Text)  # the outside system's words or ours, Japanese
    advice = Column(Text)  # what the shop should do next, Japanese
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)  # UTC; None: nothing left to do
    first_insurance_error_at = Column(DateTime)  # first E127: retried for an hour at most
    lease_until = Column(DateTime)  # a sender holds the row until then
    lease_token = Column(String(40))
    sent_at = Column(DateTime)
    linked_at = Column(DateTime)
    # Two-step sign-off (services/certificates/signoff.py): None when the site does not use it,
    # else pending / approved / returned. The sender takes only None or approved.
    approval_status = Column(String(20))
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    approved_at = Column(DateTime)  # UTC
    returned_reason = Column(Text)

    vehicle = relationship("Vehicle")
    inspector = relationship("Inspector")
    site = relationship("Site")
    oss_request = relationship("OssRequest", back_populates="certificate", uselist=False)

    def __repr__(self):
        return f"{self.chassis_number} ({self.inspection_date})"


class OssRequest(SiteOwnedMixin, TimestampMixin, Model):
    """The OSS申請依頼データ sent to AINAS with an OSS certificate."""

    __label__ = "OSS申請依頼"
    __tablename__ = "oss_request"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("certificate_id", name="uq_oss_request_certificate"),
        UniqueConstraint("idempotency_key", name="uq_oss_request_idempotency_key"),
        CheckConstraint(_in("status", OSS_REQUEST_STATUSES), name="ck_oss_request_status"),
    )

    id = Column(Integer, primary_key=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), nullable=False)
    status = Column(String(30), nullable=False, default="queued")
    payload = Column(JSON, nullable=False)
    idempotency_key = Column(String(80), nullable=False)
    request_id = Column(String(40))
    ainas_status = Column(String(20))
    reason_code = Column(String(40))
    reason = Column(Text)
    advice = Column(Text)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)
    sent_at = Column(DateTime)

    certificate = relationship("Certificate", back_populates="oss_request")


class CertificateEvent(SiteOwnedMixin, Model):
    """One step in a certificate's life (a call to AIRAS/AINAS, a wait, a status change)."""

    __label__ = "保適証の送信履歴"
    __tablename__ = "certificate_event"
    __tenant_scope__ = "site"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), nullable=False, index=True)
    occurred_at = Column(DateTime, nullable=False)
    system = Column(String(10), nullable=False)  # keizoku, airas, ainas
    action = Column(String(30), nullable=False)
    status_before = Column(String(30))
    status_after = Column(String(30))
    code = Column(String(40))
    message = Column(Text)
    attempt = Column(Integer)
    success = Column(Boolean, nullable=False, default=True)


class PrinterOffset(SiteOwnedMixin, TimestampMixin, Model):
    """How far a site's printer shifts the OCR sheet and 納付書 fields (mm, + is right/down)."""

    __label__ = "プリンター位置補正"
    __tablename__ = "printer_offset"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (UniqueConstraint("site_id", name="uq_printer_offset_site"),)

    id = Column(Integer, primary_key=True)
    offset_x_mm = Column(Float, nullable=False, default=0.0)
    offset_y_mm = Column(Float, nullable=False, default=0.0)

    site = relationship("Site")
