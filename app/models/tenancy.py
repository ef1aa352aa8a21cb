"""Businesses (事業者), sites (事業場), inspectors (検査員) and chief mechanics (整備主任者).

Every shop-owned row carries ``business_id`` (and ``site_id`` where it belongs to a site) so
that the one tenancy layer (app/tenancy.py) can scope any query without joins.
``__tenant_scope__`` tells that layer how.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import relationship

from app.models.base import SiteOwnedMixin, TimestampMixin


class Business(TimestampMixin, Model):
    __label__ = "事業者"
    __tablename__ = "business"
    __tenant_scope__ = "business_self"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    name_kana = Column(String(200), nullable=False)
    corporate_number = Column(String(13), unique=True)  # 法人番号; None for sole proprietors
    postal_code = Column(String(8))
    address = Column(String(300), nullable=False)
    phone = Column(String(20), nullable=False)
    contact_name = Column(String(100))
    contact_email = Column(String(320))
    # Direct debit (口座振替)
    bank_code = Column(String(4))
    branch_code = Column(String(3))
    account_type = Column(String(1))  # 1 普通, 2 当座
    account_number = Column(String(7))
    account_holder_kana = Column(String(30))  # half-width katakana as the bank file needs
    active = Column(Boolean, nullable=False, default=True)

    sites = relationship("Site", back_populates="business", order_by="Site.id")

    def __repr__(self):
        return self.name


class Site(TimestampMixin, Model):
    __label__ = "事業場"
    __tablename__ = "site"
    __tenant_scope__ = "site_self"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(
            "records_enabled = false OR (certification_number IS NOT NULL "
            "AND designation_number IS NOT NULL)",
            name="ck_site_records_need_numbers",
        ),
        CheckConstraint(
            "ainas_status IN ('registered', 'hybrid_only')", name="ck_site_ainas_status"
        ),
    )

    id = Column(Integer, primary_key=True)
    business_id = Column(Integer, ForeignKey("business.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    postal_code = Column(String(8))
    address = Column(String(300), nullable=False)
    phone = Column(String(20))
    certification_number = Column(String(20))  # 認証番号
    designation_number = Column(String(20))  # 指定番号
    district_code = Column(String(2))  # 運輸支局コード
    airas_registered = Column(Boolean, nullable=False, default=False)
    ainas_status = Column(String(20), nullable=False, default="registered")
    billed_separately = Column(Boolean, nullable=False, default=False)
    records_enabled = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    recording_agent_number = Column(String(20))  # 委託番号 as 記録等事務代行者 (kei OSS, issue 15.7)
    # Two-step sign-off (shop-workflow.md §2): the 事業場管理責任者 (or the 代務者 named here)
    # approves each confirmed 保適証 before it is sent. Off: sent as soon as it is confirmed.
    two_step_signoff = Column(Boolean, nullable=False, default=False, server_default=sa_false())
    signoff_deputy_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    business = relationship("Business", back_populates="sites")
    inspectors = relationship("Inspector", back_populates="site")
    chief_mechanics = relationship("ChiefMechanic", back_populates="site")

    @property
    def airas_shop_code(self):
        """AIRAS 整備工場コード: 支局コード + "-" + 指定番号."""
        if self.district_code and self.designation_number:
            return f"{self.district_code}-{self.designation_number}"
        return None

    def __repr__(self):
        return self.name


def sites_in_service():
    """Ids of the sites that may work and send: the site and its business both active."""
    return select(Site.id).join(Business, Site.business_id == Business.id).where(
        Site.active.is_(True), Business.active.is_(True))


class SiteStaffMixin(TimestampMixin):
    """People registered at a site (not login users)."""

    __tenant_scope__ = "site"
    __audited__ = True

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    name_kana = Column(String(100))
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return self.name


class Inspector(SiteOwnedMixin, SiteStaffMixin, Model):
    __label__ = "検査員"
    __tablename__ = "inspector"
    __table_args__ = (UniqueConstraint("site_id", "inspector_code", name="uq_inspector_site_code"),)

    inspector_code = Column(String(8), nullable=False)  # 8 digits, zero-padded

    site = relationship("Site", back_populates="inspectors")


class ChiefMechanic(SiteOwnedMixin, SiteStaffMixin, Model):
    __label__ = "整備主任者"
    __tablename__ = "chief_mechanic"
    __audit_exclude__ = ("pin_hash",)

    # The signature is the person's own (services/records.py): their login, or their PIN at
    # the tablet, set by themself and kept hashed; wrong PINs in a row lock it.
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    pin_hash = Column(String(256))
    pin_failures = Column(Integer, nullable=False, default=0, server_default="0")

    user = relationship("KeizokuUser")


    site = relationship("Site", back_populates="chief_mechanics")
