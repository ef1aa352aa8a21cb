"""Records (記録簿): 指定整備記録簿 and 定期点検整備記録簿, parts patterns, tester profiles and
background print batches.

A record's check results live in one short text column (``encode_results``), not one row per
check: two years of records for thousands of sites must stay small. Measurements, tester values
and replaced parts are small JSON documents printed as they are.

A signed record is never edited: a correction is a new row (``version`` + 1) pointing at the
one it corrects through ``previous_version_id``; the unique constraint on that column lets only
one correction of a version exist, whatever the concurrency.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.base import PlateSearchMixin, SiteOwnedMixin, TimestampMixin, plate_indexes

RECORD_KINDS = {"designated": "指定整備記録簿", "periodic": "定期点検整備記録簿"}
RECORD_STATUSES = {"draft": "作成中", "signed": "署名済", "output": "出力済"}
RECORD_FORMS = {"beppyo3": "別表3", "beppyo4": "別表4", "beppyo5": "別表5", "beppyo6": "別表6"}
PRINT_BATCH_STATUSES = {"queued": "待機中", "running": "印刷中", "done": "完了", "failed": "失敗"}


class Record(PlateSearchMixin, SiteOwnedMixin, TimestampMixin, Model):
    __label__ = "記録簿"
    __tablename__ = "record"
    __tenant_scope__ = "site"
    __audited__ = True
    # Results change with every tap; the service logs each change compactly instead of the
    # whole encoded text twice per tap.
    __audit_exclude__ = ("results",)
    __table_args__ = (
        CheckConstraint("kind IN ('designated', 'periodic')", name="ck_record_kind"),
        CheckConstraint("form IN ('beppyo3', 'beppyo4', 'beppyo5', 'beppyo6')",
                        name="ck_record_form"),
        CheckConstraint("interval_months IN (3, 6, 12, 24)", name="ck_record_interval"),
        CheckConstraint("status IN ('draft', 'signed', 'output')", name="ck_record_status"),
        UniqueConstraint("previous_version_id", name="uq_record_previous_version"),
        # The list pages and searches at scale (migration 0008_list_indexes).
        Index("ix_record_site_date", "site_id", "inspection_date", "id"),
        *plate_indexes("record"),
        Index("ix_record_chassis_trgm", "chassis_number", postgresql_using="gin",
              postgresql_ops={"chassis_number": "gin_trgm_ops"}),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    form = Column(String(10), nullable=False)
    interval_months = Column(Integer, nullable=False)
    # The 保適証 this record belongs to, when one exists. No FK: certificates are another
    # aggregate and a record outlives nothing of it.
    certificate_id = Column(Integer, index=True)

    # Vehicle (自動車登録番号又は車両番号, 車台番号, 型式, 車名, 原動機の型式, 初度登録年月)
    registration_number = Column(String(40))
    chassis_number = Column(String(40))
    model_code = Column(String(40))
    car_name = Column(String(60))
    engine_model = Column(String(40))
    first_registration = Column(String(7))  # "YYYY-MM"
    # Axles front to back, S single / D dual tyres ("SS", "SDD"; app/domain/wheel_positions)
    axle_layout = Column(String(8))
    # Customer (依頼者・使用者)
    customer_name = Column(String(200))
    customer_address = Column(String(300))

    inspection_date = Column(Date, nullable=False, index=True)
    odometer_km = Column(Integer)
    results = Column(Text, nullable=False, default="")
    measurements = Column(JSON)
    tester_values = Column(JSON)
    replaced_parts = Column(JSON)
    work_summary = Column(Text)
    completion_date = Column(Date)
    certificate_number = Column(String(40))  # 保安基準適合証の番号
    sticker_number = Column(String(40))  # 保安基準適合標章の番号
    limited_certificate_number = Column(String(40))  # 限定保安基準適合証の番号

    inspector_id = Column(Integer, ForeignKey("inspector.id"))
    inspector_signed_at = Column(DateTime)  # UTC
    chief_mechanic_id = Column(Integer, ForeignKey("chief_mechanic.id"))
    chief_mechanic_signed_at = Column(DateTime)  # UTC

    status = Column(String(10), nullable=False, default="draft")
    version = Column(Integer, nullable=False, default=1)
    previous_version_id = Column(Integer, ForeignKey("record.id", ondelete="SET NULL"))
    is_current = Column(Boolean, nullable=False, default=True)  # False once corrected
    output_at = Column(DateTime)  # UTC; the first PDF output (the billable moment)

    site = relationship("Site")
    inspector = relationship("Inspector")
    chief_mechanic = relationship("ChiefMechanic")

    @property
    def kind_label(self):
        return RECORD_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return RECORD_STATUSES.get(self.status, self.status)

    @property
    def form_label(self):
        return RECORD_FORMS.get(self.form, self.form)

    @property
    def locked(self):
        """Any signature freezes the content: it attests to what was entered."""
        return (self.status != "draft" or self.inspector_signed_at is not None
                or self.chief_mechanic_signed_at is not None or not self.is_current)

    def __repr__(self):
        return f"{self.registration_number or ''} {self.inspection_date}"


class PartsPattern(SiteOwnedMixin, TimestampMixin, Model):
    """A site's preset of replaced parts (パターン設定), added to a record in one tap."""

    __label__ = "交換部品のパターン"
    __tablename__ = "parts_pattern"
    __tenant_scope__ = "site"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    position = Column(Integer, nullable=False, default=0)

    site = relationship("Site")
    items = relationship("PartsPatternItem", back_populates="pattern",
                         order_by="PartsPatternItem.position", cascade="all, delete-orphan")

    def __repr__(self):
        return self.name


class PartsPatternItem(SiteOwnedMixin, Model):
    __label__ = "交換部品のパターンの部品"
    __tablename__ = "parts_pattern_item"
    __tenant_scope__ = "site"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    pattern_id = Column(Integer, ForeignKey("parts_pattern.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    position = Column(Integer, nullable=False, default=0)
    name = Column(String(100), nullable=False)
    quantity = Column(Numeric(8, 2), nullable=False)
    unit = Column(String(10), nullable=False, default="")

    pattern = relationship("PartsPattern", back_populates="items")


class TesterProfile(TimestampMixin, Model):
    """How one maker's test line exports its results (association data, no tenant).

    The built-in profiles come from app/domain/data/tester_profiles/*.json; the association
    adds and edits profiles once a maker's real format is known.
    """

    __label__ = "検査機器の設定"
    __tablename__ = "tester_profile"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)  # e.g. "banzai"
    maker = Column(String(100), nullable=False)  # バンザイ
    name = Column(String(200), nullable=False)
    mapping = Column(JSON, nullable=False)
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return f"{self.maker} {self.name}"


class PrintBatch(SiteOwnedMixin, TimestampMixin, Model):
    """Many records printed as one PDF in the background, with progress."""

    __label__ = "まとめて印刷"
    __tablename__ = "print_batch"
    __tenant_scope__ = "site"
    __audited__ = True
    __audit_exclude__ = ("done_count",)  # progress ticks are not state changes worth a row
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                        name="ck_print_batch_status"),
        CheckConstraint("copy IN ('shop', 'customer')", name="ck_print_batch_copy"),
    )

    id = Column(Integer, primary_key=True)
    requested_by_id = Column(Integer)  # ab_user.id; no FK so the batch outlives the user
    copy = Column(String(10), nullable=False, default="shop")
    record_ids = Column(JSON, nullable=False)
    total_count = Column(Integer, nullable=False, default=0)
    done_count = Column(Integer, nullable=False, default=0)
    status = Column(String(10), nullable=False, default="queued")
    error = Column(String(500))
    file_path = Column(String(500))  # relative to RECORDS_FILE_DIR
    finished_at = Column(DateTime)  # UTC

    site = relationship("Site")

    @property
    def status_label(self):
        return PRINT_BATCH_STATUSES.get(self.status, self.status)
