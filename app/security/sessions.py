"""Sessions that end: a per-user session version.

Every login stamps the user's ``session_version`` into the (signed cookie) session; each request
loads the user only if the stamp still matches (``KeizokuSecurityManager.load_user``). Bumping the
version therefore ends every session of that user at once, a copied cookie included. It is
bumped by logout, and by the flush of any change of the password (own change, the association's
reissue) or of ``active`` to off (deactivation), so no code path can forget it; the session that
changed its own password is stamped again and carries on.
"""
from flask import session
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.audit import ACTION_LABELS

SESSION_KEY = "_keizoku_sv"

ACTION_LABELS.update({"logout": "ログアウト"})


def stamp(user):
    """This session belongs to the user's current version."""
    session[SESSION_KEY] = user.session_version or 0


def is_current(user):
    return session.get(SESSION_KEY) == (user.session_version or 0)


def end_all(user):
    """Every session of ``user`` (this one too) ends at the next request."""
    user.session_version = (user.session_version or 0) + 1


def _ends_sessions(user):
    state = inspect(user)
    if state.attrs.session_version.history.has_changes():
        return False  # bumped already in this flush
    if state.attrs.password.history.has_changes():
        return True
    active = state.attrs.active.history
    return active.has_changes() and not user.active


@event.listens_for(Session, "before_flush")
def _bump_on_password_or_deactivation(db_session, _flush_context, _instances):
    from app.security.models import KeizokuUser

    for obj in db_session.dirty:
        if isinstance(obj, KeizokuUser) and _ends_sessions(obj):
            end_all(obj)
