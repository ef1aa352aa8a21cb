"""Checks made for a 保適証 before it is sent (shop-workflow.md §4, §6): the OBD検査 result of an
「OBD検査対象」 vehicle, and the 放置違反金 query with the police's answer.

Each row belongs to one certificate (a unique ``certificate_id``) and its site. OBD results are
kept with the 記録簿 for 2 years (the records' retention purges them too).
"""
from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, Text

from app.models.base import SiteOwnedMixin, TimestampMixin

OBD_RESULTS = {"pass": "合格(特定DTCなし)", "special": "特例番号(コールセンター)"}
PARKING_POSSIBILITIES = ("有", "無")
# The police's answer to the 同意書兼照会書 (FAX), as the shop records it.
PARKING_ANSWERS = {"none": "未納なし", "paid": "納付を確認(領収証書)", "unpaid": "未納あり"}


class ObdResult(SiteOwnedMixin, TimestampMixin, Model):
    """The OBD検査 (特定DTC照会アプリ) result a certificate was confirmed with."""

    __label__ = "OBD検査の結果"
    __tablename__ = "obd_result"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (CheckConstraint("result IN ('pass', 'special')", name="ck_obd_result_result"),)

    id = Column(Integer, primary_key=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), nullable=False, unique=True)
    chassis_number = Column(String(32), nullable=False, index=True)
    completion_inspection_date = Column(Date, nullable=False)  # 完成検査 (the 保適証's 検査年月日)
    checked_on = Column(Date, nullable=False)
    result = Column(String(10), nullable=False)
    special_number = Column(String(40))  # 特例番号 given by the コールセンター
    call_note = Column(Text)  # the record of that call
    target_source = Column(String(10), nullable=False)  # cert_file (備考) or ticked


class ParkingFineCheck(SiteOwnedMixin, TimestampMixin, Model):
    """The 放置違反金 query's answer for a certificate and, on 有, the police's answer."""

    __label__ = "放置違反金の照会"
    __tablename__ = "parking_fine_check"
    __tenant_scope__ = "site"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("possibility IN ('有', '無')", name="ck_parking_fine_check_possibility"),
        CheckConstraint("answer IS NULL OR answer IN ('none', 'paid', 'unpaid')",
                        name="ck_parking_fine_check_answer"),
    )

    id = Column(Integer, primary_key=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), nullable=False, unique=True)
    query_id = Column(String(40))
    possibility = Column(String(2), nullable=False)
    queried_at = Column(DateTime, nullable=False)  # UTC
    queried_by_id = Column(Integer, ForeignKey("ab_user.id"))
    answer = Column(String(10))
    answered_on = Column(Date)
    answer_note = Column(Text)
    answer_recorded_at = Column(DateTime)  # UTC
    answer_recorded_by_id = Column(Integer, ForeignKey("ab_user.id"))
