"""Writes the audit log.

Row changes are captured for every model marked ``__audited__`` by session events, in the
same transaction as the change, so no code path (FAB views, services, commands) can forget
it. Events that are not row changes (logins, lockouts, downloads) call ``record()``.
"""
import datetime
import decimal

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from app.timeutil import utcnow_naive

_PENDING_KEY = "_keizoku_audit_pending"

# Japanese names of the actions, for the association's audit screen. A feature that
# records its own actions adds their names here (ACTION_LABELS.update({...})).
ACTION_LABELS = {
    "create": "登録", "update": "変更", "delete": "削除", "login_success": "ログイン",
    "login_failure": "ログイン失敗", "login_refused_locked": "ロック中のログイン",
    "lockout": "アカウントロック", "unlock": "ロック解除", "password_changed": "パスワード変更",
    "registration_notice_mailed": "通知書メール送信",
    "registration_notice_printed": "通知書PDF発行",
    "login_refused_stopped": "利用停止中のアクセス",
}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "__table__"):
        return getattr(value, "id", None)
    return value


def _actor():
    if not has_app_context():
        return None, None
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username
    return None, None


def _remote_addr():
    return request.remote_addr if has_request_context() else None


def _excluded(obj):
    return set(getattr(obj, "__audit_exclude__", ()))


def _snapshot(obj):
    mapper = inspect(obj).mapper
    skip = _excluded(obj)
    data = {c.key: _plain(getattr(obj, c.key)) for c in mapper.column_attrs if c.key not in skip}
    for rel in mapper.relationships:
        if rel.secondary is not None and rel.key not in skip:
            data[rel.key] = sorted(_plain(getattr(obj, rel.key)) or [], key=str)
    return data


def _changes(obj):
    state = inspect(obj)
    skip = _excluded(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before[attr.key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[attr.key] = _plain(hist.added[0]) if hist.added else None
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.key in skip:
            continue
        hist = state.attrs[rel.key].history
        if hist.has_changes():
            current = sorted(_plain(getattr(obj, rel.key)) or [], key=str)
            previous = set(current) - {_plain(o) for o in hist.added}
            previous |= {_plain(o) for o in hist.deleted}
            before[rel.key] = sorted(previous, key=str)
            after[rel.key] = current
    return before, after


def _primary_key(obj):
    # In after_flush a new row's identity key is not set yet, but its primary key is.
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return "-".join(str(v) for v in values) if all(v is not None for v in values) else None


def _business_id(obj):
    if type(obj).__name__ == "Business":
        return obj.id
    return getattr(obj, "business_id", None)


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances):
    pending = session.info.setdefault(_PENDING_KEY, [])
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            pending.append(("create", obj, None, None))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj):
            before, after = _changes(obj)
            if before or after:
                pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            pending.append(("delete", obj, _snapshot(obj), None))


@event.listens_for(Session, "after_flush")
def _write(session, flush_context):
    pending = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    actor_id, actor_username = _actor()
    rows = []
    for action, obj, before, after in pending:
        if action == "create":
            after = _snapshot(obj)
        rows.append(
            dict(
                occurred_at=utcnow_naive(),
                actor_id=actor_id,
                actor_username=actor_username,
                action=action,
                entity_type=type(obj).__name__,
                entity_id=_primary_key(obj),
                business_id=_business_id(obj) if action != "delete" else before.get("business_id"),
                before=before,
                after=after,
                remote_addr=_remote_addr(),
            )
        )
    from app.models.audit import AuditLog

    session.connection().execute(insert(AuditLog.__table__), rows)


@event.listens_for(Session, "after_rollback")
def _discard(session):
    session.info.pop(_PENDING_KEY, None)


def record(session, action, *, entity=None, entity_type=None, entity_id=None,
           business_id=None, detail=None, actor=None, before=None, after=None):
    """Log an event that is not a row change (login, lockout, download, mail sent)."""
    from app.models.audit import AuditLog

    actor_id, actor_username = _actor()
    if actor is not None:
        actor_id, actor_username = actor.id, actor.username
    if isinstance(entity, LocalProxy):  # g.user, current_user: name the user, not the proxy
        entity = entity._get_current_object()
    if entity is not None:
        entity_type = type(entity).__name__
        entity_id = str(entity.id)
        business_id = business_id if business_id is not None else _business_id(entity)
    session.add(
        AuditLog(
            occurred_at=utcnow_naive(),
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            business_id=business_id,
            detail=detail,
            before=before,
            after=after,
            remote_addr=_remote_addr(),
        )
    )
