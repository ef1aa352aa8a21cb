"""API tokens for shop systems: issue, revoke, and authenticate a bearer token.

A token is ``kz_`` and 256 random bits (``secrets.token_urlsafe(32)``). Only its SHA-256 is
stored. A fast hash is enough here and a slow one would be waste: a slow password hash protects
passwords people choose, which can be guessed; 256 random bits cannot be guessed whatever the
hash, and SHA-256 lets each API call find its token by one indexed equality. (FAB's own
``ab_api_key`` runs a pbkdf2 hash on every call and knows no site, so it is not used.)

A token is registered for a site and acts as its user: the user's roles and tenant (through
``app.tenancy``), nothing more. It stops working when it is revoked, when it expires, when the
user is deactivated or no longer works at the site, or when the site or business is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select, update

from app import audit
from app.models.integration import ApiToken
from app.services.certificates.common import utc_naive
from app.tenancy import tenant_of

TOKEN_PREFIX = "kz_"
DAYS_CHOICES = (30, 90, 180, 365)
DEFAULT_DAYS = 365
MAX_DAYS = 730

audit.ACTION_LABELS.update({"api_token_issue": "APIトークンの発行", "api_token_revoke": "APIトークンの失効",
                            "api_call": "APIの呼び出し", "api_auth_refused": "APIトークンの拒否"})


class ApiTokenError(ValueError):
    """A token that cannot be issued; ``message`` is Japanese and says what to do."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Refusal:
    """Why a presented token does not authenticate: a stable code and a Japanese message."""

    code: str
    message: str
    token: ApiToken | None = None


REFUSALS = {
    "missing": "APIトークンがありません。Authorization ヘッダーに「Bearer 発行したトークン」を付けて送ってください。",
    "invalid": "APIトークンが正しくありません。事業場管理責任者が発行したトークンをそのまま送ってください。",
    "revoked": "このAPIトークンは失効しています。事業場管理責任者に新しいトークンの発行を依頼してください。",
    "expired": "このAPIトークンは有効期限が切れています。事業場管理責任者に新しいトークンの発行を依頼してください。",
    "inactive": "このAPIトークンの利用者または事業場は利用できません。事業場管理責任者または協会にご相談ください。",
}


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session, *, site, user, label, days, created_by, now):
    """A new token for ``user`` at ``site``: returns (row, the token). The token is shown once."""
    label = unicodedata.normalize("NFKC", label or "").strip()
    if not label or len(label) > 100:
        raise ApiTokenError("トークンの名前(どのシステムで使うか)を100文字以内で入力してください。")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ApiTokenError(f"有効期間は1日から{MAX_DAYS}日までで選んでください。")
    if not user.active or user.is_association or not tenant_of(user).owns_site(site.id):
        raise ApiTokenError("この事業場で利用できる利用者を選んでください。")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(business_id=site.business_id, site_id=site.id, user_id=user.id,
                   created_by_id=created_by.id if created_by is not None else None, label=label,
                   token_hash=token_hash(plain), token_prefix=plain[:10],
                   expires_at=utc_naive(now) + dt.timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, "api_token_issue", entity=row, actor=created_by,
                 detail=f"token {row.id} for user {user.username} at site {site.id}, {days} days")
    return row, plain


def revoke(session, row, now, by_user=None):
    if row.revoked_at is not None:
        raise ApiTokenError("このトークンはすでに失効しています。")
    row.revoked_at = utc_naive(now)
    audit.record(session, "api_token_revoke", entity=row, actor=by_user, detail=f"token {row.id}")


def state_of(row, now):
    """"active", "revoked" or "expired", for lists."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= utc_naive(now):
        return "expired"
    return "active"


def bearer_token(header):
    """The token of an ``Authorization: Bearer …`` header, or None."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 200 or not value.isascii():
        return None
    return value


def authenticate(session, presented, now):
    """(token row, None) when ``presented`` authenticates now, else (None, Refusal)."""
    if presented is None:
        return None, Refusal("missing", REFUSALS["missing"])
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(presented)))
    if row is None or not secrets.compare_digest(row.token_hash, token_hash(presented)):
        return None, Refusal("invalid", REFUSALS["invalid"])
    state = state_of(row, now)
    if state != "active":
        return None, Refusal(state, REFUSALS[state], row)
    user = row.user
    if not user.active or not tenant_of(user).owns_site(row.site_id):  # site, business active too
        return None, Refusal("inactive", REFUSALS["inactive"], row)
    return row, None


def touch(connection, token_id, now):
    """Record the token's last use (a plain UPDATE: no audit row for each call)."""
    connection.execute(update(ApiToken.__table__).where(ApiToken.__table__.c.id == token_id)
                       .values(last_used_at=utc_naive(now)))
