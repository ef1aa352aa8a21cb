"""The audit log: who did what, when, to which row, with the values before and after."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, Integer, String

from app.timeutil import utcnow_naive


class AuditLog(Model):
    __label__ = "監査ログ"
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    occurred_at = Column(DateTime, nullable=False, default=utcnow_naive, index=True)  # UTC
    actor_id = Column(Integer, index=True)  # ab_user.id; no FK so the log outlives users
    actor_username = Column(String(128))
    action = Column(String(40), nullable=False, index=True)  # create/update/delete/login_...
    entity_type = Column(String(60), index=True)
    entity_id = Column(String(40), index=True)
    business_id = Column(Integer, index=True)
    before = Column(JSON)
    after = Column(JSON)
    remote_addr = Column(String(64))
    detail = Column(String(500))
