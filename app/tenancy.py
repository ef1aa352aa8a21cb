"""The one tenancy layer: it alone decides which rows a user may see.

Every shop-facing view, API, service and download scopes its queries through
``scope(query, model, tenant)``. A tenant is taken from the logged-in user by
``current_tenant()``; with no user, no business or no sites it matches nothing
(default-deny). A deactivated business has no tenant, a deactivated site is not in one, and
``service_stopped`` says when that leaves a user nothing (the gates then log them out). The
association's screens do not use this layer: they are separate
views behind association-only permissions.

A model declares how it is owned with ``__tenant_scope__``:
  "business_self"  the Business row itself
  "site_self"      the Site row itself
  "site"           a row with business_id and site_id (inspector, certificate, record, ...)
  "business"       a row with business_id only
  "business_site"  a row with business_id and an optional site_id: without a site it is the
                   whole business's, with one only that site's (an invoice of a site billed
                   separately)
  "user"           a login user: users who share at least one of the tenant's sites
"""
from dataclasses import dataclass

from flask import abort, g
from sqlalchemy import false, select


@dataclass(frozen=True)
class Tenant:
    business_id: int | None
    site_ids: frozenset
    user_id: int | None = None

    @property
    def is_empty(self):
        return self.business_id is None or not self.site_ids

    def owns_site(self, site_id):
        return not self.is_empty and site_id in self.site_ids


NOBODY = Tenant(business_id=None, site_ids=frozenset())


SERVICE_STOPPED_MESSAGE = (
    "ご利用の事業者または事業場は、協会により利用停止となっています。"
    "ログイン・送信はできません。再開については協会サポートデスクにお問い合わせください。"
)


def _own_sites(user):
    return [s for s in user.sites if s.business_id == user.business_id]


def tenant_of(user) -> Tenant:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    business_id = getattr(user, "business_id", None)
    if business_id is None or not user.business.active:
        return NOBODY
    site_ids = frozenset(s.id for s in _own_sites(user) if s.active)
    return Tenant(business_id=business_id, site_ids=site_ids, user_id=user.id)


def service_stopped(user) -> bool:
    """A shop user whose business, or every one of whose sites, the association deactivated."""
    if user is None or getattr(user, "business_id", None) is None:
        return False
    if not user.business.active:
        return True
    sites = _own_sites(user)
    return bool(sites) and not any(s.active for s in sites)


def current_tenant() -> Tenant:
    """The logged-in user's tenant, computed once per user and context.

    The cache is keyed by the user object, so an app context that outlives one request
    (a CLI command, a test) never hands one user's tenant to the next.
    """
    user = g.get("user")
    cached = g.get("_keizoku_tenant")
    if cached is None or cached[0] is not user:
        cached = (user, tenant_of(user))
        g._keizoku_tenant = cached
    return cached[1]


def tenant_criteria(model, tenant: Tenant):
    """The WHERE clause that limits ``model`` to ``tenant``'s rows."""
    scope_kind = getattr(model, "__tenant_scope__", None)
    if scope_kind is None:
        raise TypeError(f"{model.__name__} has no __tenant_scope__; it cannot be shop-facing")
    if tenant.is_empty:
        return false()
    site_ids = sorted(tenant.site_ids)
    if scope_kind == "business_self":
        return model.id == tenant.business_id
    if scope_kind == "site_self":
        return (model.business_id == tenant.business_id) & model.id.in_(site_ids)
    if scope_kind == "site":
        return (model.business_id == tenant.business_id) & model.site_id.in_(site_ids)
    if scope_kind == "business":
        return model.business_id == tenant.business_id
    if scope_kind == "business_site":
        return (model.business_id == tenant.business_id) & (
            model.site_id.is_(None) | model.site_id.in_(site_ids))
    if scope_kind == "user":
        from app.security.models import user_site

        shared = select(user_site.c.user_id).where(user_site.c.site_id.in_(site_ids))
        return (model.business_id == tenant.business_id) & model.id.in_(shared)
    raise TypeError(f"unknown tenant scope {scope_kind!r} on {model.__name__}")


def scope(query, model, tenant: Tenant):
    """Apply the tenant criteria to a Query or a Select."""
    return query.filter(tenant_criteria(model, tenant))


def get_owned_or_404(session, model, pk, tenant: Tenant):
    """Load one row the tenant owns, or answer 404 (never reveal that it exists)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        abort(404)
    row = session.execute(
        select(model).where(model.id == pk).where(tenant_criteria(model, tenant))
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row
