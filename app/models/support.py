"""The guide's Q&A, notices, the support desk's inquiry log and web application forms.

FAQ entries, notices and application form submissions are the association's own data (no
tenant). An inquiry belongs to one site of one business, so shops see only their own through
app/tenancy.py.
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
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declared_attr, relationship

from app.models.base import SiteOwnedMixin, TimestampMixin

NOTICE_KINDS = {"maintenance": "メンテナンス", "law": "法令改正", "other": "その他"}
# Outside systems a notice can report as down (names as in app/integrations/base.py).
OUTSIDE_SYSTEMS = ("airas", "ainas", "mlit", "kei")

INQUIRY_CHANNELS = {"app": "アプリから", "phone": "電話", "mail": "メール", "fax": "ファクス",
                    "visit": "訪問・来所"}
INQUIRY_TOPICS = {"airas": "保適証サービス(AIRAS)", "ainas": "OSS申請共同利用システム(AINAS)",
                  "transport_bureau": "運輸支局", "records": "記録簿", "billing": "請求・口座振替",
                  "qr_reader": "QRコードリーダ", "other": "その他"}
INQUIRY_STATUSES = {"open": "未対応", "in_progress": "対応中", "closed": "完了"}
SUBMISSION_STATUSES = {"new": "未取込", "imported": "取込済", "rejected": "取込対象外"}


def _in(column, values):
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class FaqEntry(TimestampMixin, Model):
    """One Q&A entry of the public guide; ``slug`` keeps links stable when entries move."""

    __label__ = "よくあるご質問"
    __tablename__ = "faq_entry"
    __audited__ = True
    __table_args__ = (UniqueConstraint("slug", name="uq_faq_entry_slug"),)

    id = Column(Integer, primary_key=True)
    slug = Column(String(40))  # "q13" for the guide's entries; help links use it
    category = Column(String(100), nullable=False)
    title = Column(String(300), nullable=False)
    body = Column(Text, nullable=False)
    sort_order = Column(Integer, nullable=False, default=0)
    published = Column(Boolean, nullable=False, default=True)

    @property
    def anchor(self):
        return self.slug or f"faq-{self.id}"

    def __repr__(self):
        return self.title


class Notice(TimestampMixin, Model):
    """A notice from the association; with ``outside_system`` set it reports that system down."""

    __label__ = "お知らせ"
    __tablename__ = "notice"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("kind", NOTICE_KINDS), name="ck_notice_kind"),
        CheckConstraint(
            "outside_system IS NULL OR " + _in("outside_system", OUTSIDE_SYSTEMS),
            name="ck_notice_outside_system",
        ),
    )

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    kind = Column(String(20), nullable=False, default="other")
    shown_from = Column(DateTime, nullable=False)  # UTC
    shown_until = Column(DateTime)  # UTC; None = until withdrawn
    published = Column(Boolean, nullable=False, default=True)
    on_dashboard = Column(Boolean, nullable=False, default=True)
    on_public = Column(Boolean, nullable=False, default=True)
    outside_system = Column(String(20))

    def __repr__(self):
        return self.title


class Inquiry(SiteOwnedMixin, TimestampMixin, Model):
    """One contact with a shop (問い合わせ), from the app, the phone or the mail."""

    __label__ = "問い合わせ"
    __tablename__ = "inquiry"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("channel", INQUIRY_CHANNELS), name="ck_inquiry_channel"),
        CheckConstraint(_in("topic", INQUIRY_TOPICS), name="ck_inquiry_topic"),
        CheckConstraint(_in("status", INQUIRY_STATUSES), name="ck_inquiry_status"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False, default="app")
    topic = Column(String(20), nullable=False, default="other")
    subject = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    status = Column(String(20), nullable=False, default="open", index=True)
    handled_by_id = Column(Integer, ForeignKey("ab_user.id"))
    notes = Column(Text)  # the association's own notes; never shown to the shop
    follow_up_on = Column(Date, index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    mailed_at = Column(DateTime)  # UTC; None while the mail to the association has not gone

    business = relationship("Business")
    site = relationship("Site")
    handled_by = relationship("KeizokuUser", foreign_keys=[handled_by_id])
    created_by = relationship("KeizokuUser", foreign_keys=[created_by_id])
    messages = relationship("InquiryMessage", back_populates="inquiry",
                            order_by="InquiryMessage.id", cascade="all, delete-orphan")
    memos = relationship("InquiryMemo", back_populates="inquiry", order_by="InquiryMemo.id",
                         cascade="all, delete-orphan")

    def __repr__(self):
        return self.subject


class _InquiryNote(TimestampMixin):
    """What a thread message and a memo share: the inquiry, who wrote, what."""

    id = Column(Integer, primary_key=True)
    body = Column(Text, nullable=False)

    @declared_attr
    def inquiry_id(cls):
        return Column(Integer, ForeignKey("inquiry.id", ondelete="CASCADE"), nullable=False,
                      index=True)

    @declared_attr
    def author_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"))

    @declared_attr
    def author(cls):
        return relationship("KeizokuUser")


class InquiryMessage(SiteOwnedMixin, _InquiryNote, Model):
    """One message of an inquiry's thread, which the shop sees: the association's answers and
    the shop's follow-ups. The association's memos are not messages (InquiryMemo)."""

    __label__ = "問い合わせのやり取り"
    __tablename__ = "inquiry_message"
    __tenant_scope__ = "site"
    __audited__ = True

    from_association = Column(Boolean, nullable=False)
    mailed_at = Column(DateTime)  # UTC; None while the mail to the other side has not gone

    inquiry = relationship("Inquiry", back_populates="messages")


class InquiryMemo(_InquiryNote, Model):
    """A note the association's staff keep on an inquiry. It has no tenant scope on purpose:
    no shop view can query it (app/tenancy.py refuses a model without ``__tenant_scope__``)."""

    __label__ = "問い合わせの対応メモ"
    __tablename__ = "inquiry_memo"
    __audited__ = True

    inquiry = relationship("Inquiry", back_populates="memos")


class ApplicationFormSubmission(TimestampMixin, Model):
    """What a shop typed into the web application form, kept for the association to import.

    ``data`` is {"business": {...Business columns}, "sites": [{...Site columns}, ...]}; the
    printed form carries ``reference`` so the posted paper can be matched to it.
    """

    __label__ = "オンライン申込データ"
    __tablename__ = "application_form_submission"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("status", SUBMISSION_STATUSES), name="ck_application_form_status"),
        UniqueConstraint("reference", name="uq_application_form_reference"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False)
    business_name = Column(String(200), nullable=False)
    data = Column(JSON, nullable=False)
    status = Column(String(20), nullable=False, default="new", index=True)
    imported_business_id = Column(Integer, ForeignKey("business.id"))
    imported_at = Column(DateTime)  # UTC
    imported_by_id = Column(Integer, ForeignKey("ab_user.id"))

    imported_business = relationship("Business")
    imported_by = relationship("KeizokuUser")

    def __repr__(self):
        return f"{self.reference} {self.business_name}"
