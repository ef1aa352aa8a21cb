"""Shop systems reaching Keizoku: API tokens, and webhooks with their outbox and delivery log.

A token (``ApiToken``) is registered for a site and acts as its user; only the SHA-256 of the
token is kept. A webhook endpoint (``WebhookEndpoint``) is a site's https URL with the secret the
deliveries are signed with. Each status change of a certificate becomes one ``WebhookEvent`` per
endpoint of its site (the outbox, written in the status change's own transaction); every try to
deliver it is a ``WebhookDelivery`` row the site can read.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.base import SiteOwnedMixin, TimestampMixin

WEBHOOK_EVENT_STATUSES = ("pending", "delivered", "failed", "cancelled")


class ApiToken(SiteOwnedMixin, TimestampMixin, Model):
    __label__ = "APIトークン"
    __tablename__ = "api_token"
    __tenant_scope__ = "site"
    __audited__ = True
    __audit_exclude__ = ("token_hash", "last_used_at")
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_hash"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    label = Column(String(100), nullable=False)
    token_hash = Column(String(64), nullable=False)  # sha256 hex of the whole token
    token_prefix = Column(String(16), nullable=False)  # the first characters, to tell tokens apart
    expires_at = Column(DateTime)  # UTC; None: does not expire
    last_used_at = Column(DateTime)  # UTC
    revoked_at = Column(DateTime)  # UTC

    user = relationship("KeizokuUser", foreign_keys=[user_id])
    created_by = relationship("KeizokuUser", foreign_keys=[created_by_id])
    site = relationship("Site")

    def __repr__(self):
        return f"{self.label} ({self.token_prefix}…)"


class WebhookEndpoint(SiteOwnedMixin, TimestampMixin, Model):
    __label__ = "状態の通知先"
    __tablename__ = "webhook_endpoint"
    __tenant_scope__ = "site"
    __audited__ = True
    __audit_exclude__ = ("secret",)

    id = Column(Integer, primary_key=True)
    url = Column(String(500), nullable=False)
    label = Column(String(100), nullable=False)
    # Kept as is: every delivery is signed with it. It is shown once, when registered.
    secret = Column(String(100), nullable=False)
    secret_prefix = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))

    site = relationship("Site")

    def __repr__(self):
        return f"{self.label} ({self.url})"


class WebhookEvent(SiteOwnedMixin, Model):
    """One status change to deliver to one endpoint (the outbox row)."""

    __label__ = "状態の通知"
    __tablename__ = "webhook_event"
    __tenant_scope__ = "site"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_webhook_event_event_id"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed', 'cancelled')",
                        name="ck_webhook_event_status"),
        Index("ix_webhook_event_due", "status", "next_attempt_at"),
    )

    id = Column(Integer, primary_key=True)
    event_id = Column(String(40), nullable=False)  # the receiver's idempotency key
    endpoint_id = Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), index=True)
    event_type = Column(String(60), nullable=False)
    payload = Column(JSON, nullable=False)  # the "data" of the body, as it was at the change
    created_at = Column(DateTime, nullable=False)  # UTC
    status = Column(String(20), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)  # UTC; None: nothing left to do
    lease_until = Column(DateTime)
    delivered_at = Column(DateTime)
    last_error = Column(Text)

    endpoint = relationship("WebhookEndpoint")
    deliveries = relationship("WebhookDelivery", back_populates="event", order_by="WebhookDelivery.id",
                              cascade="all, delete-orphan")


class WebhookDelivery(SiteOwnedMixin, Model):
    """One try to deliver an event: when, what the receiver answered, how long it took."""

    __label__ = "状態の通知の送信記録"
    __tablename__ = "webhook_delivery"
    __tenant_scope__ = "site"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("webhook_event.id", ondelete="CASCADE"), nullable=False, index=True)
    attempt = Column(Integer, nullable=False)
    attempted_at = Column(DateTime, nullable=False)  # UTC
    status_code = Column(Integer)
    success = Column(Boolean, nullable=False, default=False)
    error = Column(Text)
    duration_ms = Column(Integer)

    event = relationship("WebhookEvent", back_populates="deliveries")
