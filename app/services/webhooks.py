"""Webhooks: a site's endpoints, the outbox of certificate status changes, and their delivery.

Outbox: every status change of a certificate (or of its OSS request) leaves a timeline entry
(``CertificateEvent`` with a status before and after). A session hook turns each such entry into
one ``WebhookEvent`` per active endpoint of the certificate's site, right after the flush that
writes the entry and so in the same transaction: a change that is rolled back leaves no event, one that is committed cannot
lose its event, and no code path that changes a status can forget it.

Delivery: ``deliver_due`` (the scheduler's job, scheduler/jobs/webhooks.py) POSTs each due event
through ``app.integrations.webhooks`` and records every try as a ``WebhookDelivery``; a failure
is tried again with exponential backoff, up to ``WEBHOOK_MAX_ATTEMPTS``. A site can replay any
event from its delivery log.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import unicodedata
import uuid

from flask import current_app
from sqlalchemy import event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app import audit
from app.integrations.webhooks import WebhookClient, WebhookTargetError, check_target
from app.models.certificate import Certificate, CertificateEvent
from app.models.integration import WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.services.certificates.common import utc_naive
from app.services.certificates.labels import OSS_STATUS_LABELS, STATUS_LABELS
from app.timeutil import JST

log = logging.getLogger(__name__)

EVENT_TYPE = "certificate.status_changed"
SECRET_PREFIX = "whsec_"

audit.ACTION_LABELS.update({"webhook_register": "状態の通知先の登録", "webhook_disable": "状態の通知先の停止",
                            "webhook_replay": "状態の通知の再送"})


class WebhookError(ValueError):
    def __init__(self, message):
        self.message = message
        super().__init__(message)


def _setting(key, default):
    return current_app.config.get(key, default)


def client_from_config(config=None):
    config = config or current_app.config
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5))
    return WebhookClient(timeout=(min(3.05, timeout), timeout),
                         allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)))


# --- endpoints --------------------------------------------------------------------------------


def register_endpoint(session, *, site, url, label, created_by, resolver=None):
    """A new endpoint for ``site``: returns (row, secret). The secret is shown once."""
    label = unicodedata.normalize("NFKC", label or "").strip()
    if not label or len(label) > 100:
        raise WebhookError("送信先の名前(どのシステムか)を100文字以内で入力してください。")
    try:
        target = check_target(url, allow_private=bool(_setting("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)),
                              resolver=resolver)
    except WebhookTargetError as exc:
        raise WebhookError(exc.message) from None
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = WebhookEndpoint(business_id=site.business_id, site_id=site.id, url=target.url, label=label,
                          secret=secret, secret_prefix=secret[:12], active=True,
                          created_by_id=created_by.id if created_by is not None else None)
    session.add(row)
    session.flush()
    audit.record(session, "webhook_register", entity=row, actor=created_by, detail=f"{row.id} {row.url}")
    return row, secret


def disable_endpoint(session, endpoint, by_user=None):
    """Stop sending to the endpoint; events still waiting for it are cancelled."""
    if not endpoint.active:
        raise WebhookError("この送信先はすでに停止しています。")
    endpoint.active = False
    session.execute(update(WebhookEvent).where(WebhookEvent.endpoint_id == endpoint.id,
                                               WebhookEvent.status == "pending")
                    .values(status="cancelled", next_attempt_at=None)
                    .execution_options(synchronize_session=False))
    audit.record(session, "webhook_disable", entity=endpoint, actor=by_user, detail=str(endpoint.id))


# --- the outbox -------------------------------------------------------------------------------


def _status_change(entry):
    return isinstance(entry, CertificateEvent) and entry.status_after is not None \
        and entry.status_after != entry.status_before


def event_data(certificate, entry):
    """What a receiver learns of one status change (the body's ``data``)."""
    oss = certificate.oss_request
    subject = "oss_request" if entry.system == "ainas" else "certificate"
    labels = OSS_STATUS_LABELS if subject == "oss_request" else STATUS_LABELS
    return {
        "certificate_id": certificate.id, "site_id": certificate.site_id, "subject": subject,
        "system": entry.system, "action": entry.action,
        "status_before": entry.status_before, "status": entry.status_after,
        "status_label": labels.get(entry.status_after, entry.status_after),
        "certificate_status": certificate.status,
        "certificate_status_label": STATUS_LABELS.get(certificate.status, certificate.status),
        "airas_status": certificate.airas_status, "issue_number": certificate.issue_number,
        "oss_status": oss.status if oss is not None else None, "chassis_number": certificate.chassis_number,
        "code": entry.code, "message": entry.message,
        "occurred_at": entry.occurred_at.replace(tzinfo=dt.timezone.utc).astimezone(JST).isoformat(),
    }


@event.listens_for(Session, "after_flush")
def _outbox(session, flush_context):
    """After the flush has written the timeline entries (so this transaction already holds its
    write lock: no lock upgrade under concurrent senders on SQLite), add their events."""
    changes = [entry for entry in session.new if _status_change(entry)]
    if not changes:
        return
    connection = session.connection()
    endpoints = WebhookEndpoint.__table__
    rows = []
    for entry in changes:
        endpoint_ids = connection.execute(select(endpoints.c.id).where(
            endpoints.c.site_id == entry.site_id, endpoints.c.active.is_(True))).scalars().all()
        if not endpoint_ids:
            continue
        with session.no_autoflush:
            data = event_data(session.get(Certificate, entry.certificate_id), entry)
        rows += [dict(business_id=entry.business_id, site_id=entry.site_id, endpoint_id=endpoint_id,
                      certificate_id=entry.certificate_id, event_id=str(uuid.uuid4()), event_type=EVENT_TYPE,
                      payload=data, created_at=entry.occurred_at, status="pending", attempts=0,
                      next_attempt_at=entry.occurred_at) for endpoint_id in endpoint_ids]
    if rows:
        connection.execute(insert(WebhookEvent.__table__), rows)


# --- delivery ---------------------------------------------------------------------------------


def backoff_seconds(attempts):
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 30))
    cap = float(_setting("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600))
    return min(cap, base * (2 ** max(0, attempts - 1)))


def body_of(webhook_event, now):
    """The exact bytes POSTed (and signed) for one attempt."""
    created = webhook_event.created_at.replace(tzinfo=dt.timezone.utc).astimezone(JST)
    body = {"id": webhook_event.event_id, "type": webhook_event.event_type, "created_at": created.isoformat(),
            "timestamp": int(now.timestamp()), "data": webhook_event.payload}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _claim(session, event_pk, now):
    moment = utc_naive(now)
    lease = moment + dt.timedelta(seconds=float(_setting("WEBHOOK_LEASE_SECONDS", 60)))
    result = session.execute(update(WebhookEvent).where(
        WebhookEvent.id == event_pk, WebhookEvent.status == "pending",
        or_(WebhookEvent.lease_until.is_(None), WebhookEvent.lease_until < moment),
    ).values(lease_until=lease).execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def deliver(session, event_pk, client, now):
    """Try one event once (if it is pending and no one else holds it). True when delivered."""
    if not _claim(session, event_pk, now):
        return False
    webhook_event = session.get(WebhookEvent, event_pk, populate_existing=True)
    endpoint = webhook_event.endpoint
    url, secret, body = endpoint.url, endpoint.secret, body_of(webhook_event, now)
    session.commit()  # no transaction stays open while the receiver answers
    result = client.deliver(url, secret, body, webhook_event.event_id, int(now.timestamp()))
    webhook_event = session.get(WebhookEvent, event_pk, populate_existing=True)
    webhook_event.attempts += 1  # since the event was queued or replayed: drives the backoff
    tries = session.scalar(select(func.count()).select_from(WebhookDelivery)
                           .where(WebhookDelivery.event_id == event_pk))
    session.add(WebhookDelivery(business_id=webhook_event.business_id, site_id=webhook_event.site_id,
                                event_id=webhook_event.id, attempt=tries + 1,
                                attempted_at=utc_naive(now), status_code=result.status_code,
                                success=result.ok, error=result.error, duration_ms=result.duration_ms))
    webhook_event.lease_until = None
    if result.ok:
        webhook_event.status, webhook_event.delivered_at = "delivered", utc_naive(now)
        webhook_event.next_attempt_at, webhook_event.last_error = None, None
    elif webhook_event.attempts >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 12)):
        webhook_event.status, webhook_event.next_attempt_at = "failed", None
        webhook_event.last_error = result.error
        log.warning("webhook event %s to endpoint %s failed %s times; giving up",
                    webhook_event.event_id, endpoint.id, webhook_event.attempts)
    else:
        webhook_event.last_error = result.error
        webhook_event.next_attempt_at = utc_naive(now) + dt.timedelta(
            seconds=backoff_seconds(webhook_event.attempts))
    session.commit()
    return result.ok


def due_event_ids(session, now, limit=100):
    moment = utc_naive(now)
    ids = session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.status == "pending", WebhookEvent.next_attempt_at <= moment,
        or_(WebhookEvent.lease_until.is_(None), WebhookEvent.lease_until < moment),
    ).order_by(WebhookEvent.next_attempt_at, WebhookEvent.id).limit(limit)).all()
    session.commit()
    return ids


def deliver_due(session, now, client, *, limit=100):
    """The scheduler's job: every due event once. Returns how many were delivered."""
    delivered = 0
    for event_pk in due_event_ids(session, now, limit):
        try:
            delivered += deliver(session, event_pk, client, now)
        except Exception:  # noqa: BLE001 - the lease runs out and the event is tried again
            log.exception("webhook event %s: delivery failed", event_pk)
            session.rollback()
    return delivered


def replay(session, webhook_event, now, by_user=None):
    """Send an event again (a site's request from the delivery log), with the same event id."""
    if not webhook_event.endpoint.active:
        raise WebhookError("送信先が停止しているため再送できません。")
    webhook_event.status = "pending"
    webhook_event.attempts = 0
    webhook_event.next_attempt_at = utc_naive(now)
    webhook_event.lease_until = None
    audit.record(session, "webhook_replay", entity=webhook_event.endpoint, actor=by_user,
                 detail=f"event {webhook_event.event_id}")
