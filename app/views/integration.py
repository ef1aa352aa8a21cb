"""Shop-system integration: the site manager's screens for API tokens and webhooks, and the
token API itself (app/api/, registered here so that it plugs in like any other feature).

Thin: rows are loaded through ``get_owned_or_404``/``scope`` with ``current_tenant()``; tokens
and endpoints are issued, revoked and replayed by app/services/api_tokens.py and webhooks.py.
"""
from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.integration import ApiToken, WebhookEndpoint, WebhookEvent
from app.models.tenancy import Site
from app.security.models import KeizokuUser
from app.services import api_tokens, webhooks
from app.services.certificates.common import as_jst
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import now

STATE_LABELS = {"active": "有効", "revoked": "失効", "expired": "期限切れ"}
EVENT_LABELS = {"pending": "送信待ち", "delivered": "送信済", "failed": "送信できず", "cancelled": "取りやめ"}


def _sites(tenant):
    return db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()


def _int_arg(name):
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


class ApiTokenView(BaseView):
    """APIトークン: issue (shown once), list with last use and expiry, revoke."""

    route_base = "/shop/api-tokens"
    default_view = "index"
    tenant_model = ApiToken

    def _page(self, errors=(), issued=None, form=None):
        tenant = current_tenant()
        tokens = db.session.scalars(scope(select(ApiToken), ApiToken, tenant)
                                    .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
        users = db.session.scalars(scope(select(KeizokuUser), KeizokuUser, tenant)
                                   .where(KeizokuUser.active.is_(True)).order_by(KeizokuUser.id)).all()
        moment = now()
        return self.render_template(
            "integration/tokens.html", tokens=tokens, users=users, sites=_sites(tenant), errors=list(errors),
            own_site_ids=tenant.site_ids,  # a user's other sites are not this user's to see
            issued=issued, form=form or {}, state_of=lambda t: api_tokens.state_of(t, moment),
            state_labels=STATE_LABELS, as_jst=as_jst, days_choices=api_tokens.DAYS_CHOICES,
            default_days=api_tokens.DEFAULT_DAYS), (422 if errors else 200)

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/issue", methods=["POST"])
    @has_access
    def issue(self):
        tenant = current_tenant()
        site_id, user_id, days = _int_arg("site_id"), _int_arg("user_id"), _int_arg("days")
        if site_id is None or user_id is None:
            return self._page(["事業場と、トークンが代わりに動く利用者を選んでください。"], form=request.form)
        site = get_owned_or_404(db.session, Site, site_id, tenant)
        user = get_owned_or_404(db.session, KeizokuUser, user_id, tenant)
        try:
            row, plain = api_tokens.issue(db.session, site=site, user=user, label=request.form.get("label"),
                                          days=days, created_by=g.user, now=now())
            db.session.commit()
        except api_tokens.ApiTokenError as exc:
            db.session.rollback()
            return self._page([exc.message], form=request.form)
        return self._page(issued={"row": row, "token": plain})

    @expose("/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk):
        row = get_owned_or_404(db.session, ApiToken, pk, current_tenant())
        try:
            api_tokens.revoke(db.session, row, now(), g.user)
            db.session.commit()
            flash(f"トークン「{row.label}」を失効させました。このトークンでのAPIの利用はすぐに止まります。", "success")
        except api_tokens.ApiTokenError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
        return redirect(url_for("ApiTokenView.index"))


class WebhookView(BaseView):
    """Webhook: register an https URL (the secret is shown once), stop it, read its delivery log."""

    route_base = "/shop/webhooks"
    default_view = "index"
    tenant_model = WebhookEndpoint

    def _page(self, errors=(), registered=None, form=None):
        tenant = current_tenant()
        endpoints = db.session.scalars(scope(select(WebhookEndpoint), WebhookEndpoint, tenant)
                                       .order_by(WebhookEndpoint.id.desc())).all()
        return self.render_template(
            "integration/webhooks.html", endpoints=endpoints, sites=_sites(tenant), errors=list(errors),
            registered=registered, form=form or {}, as_jst=as_jst,
            allow_private=current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)), (422 if errors else 200)

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/create", methods=["POST"])
    @has_access
    def create(self):
        site_id = _int_arg("site_id")
        if site_id is None:
            return self._page(["事業場を選んでください。"], form=request.form)
        site = get_owned_or_404(db.session, Site, site_id, current_tenant())
        try:
            row, secret = webhooks.register_endpoint(db.session, site=site, url=request.form.get("url"),
                                                     label=request.form.get("label"), created_by=g.user)
            db.session.commit()
        except webhooks.WebhookError as exc:
            db.session.rollback()
            return self._page([exc.message], form=request.form)
        return self._page(registered={"row": row, "secret": secret})

    @expose("/<int:pk>/disable", methods=["POST"])
    @has_access
    def disable(self, pk):
        row = get_owned_or_404(db.session, WebhookEndpoint, pk, current_tenant())
        try:
            webhooks.disable_endpoint(db.session, row, g.user)
            db.session.commit()
            flash(f"送信先「{row.label}」への通知を止めました。", "success")
        except webhooks.WebhookError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
        return redirect(url_for("WebhookView.index"))

    @expose("/<int:pk>/log")
    @has_access
    def log(self, pk):
        endpoint = get_owned_or_404(db.session, WebhookEndpoint, pk, current_tenant())
        events = db.session.scalars(scope(select(WebhookEvent), WebhookEvent, current_tenant())
                                    .where(WebhookEvent.endpoint_id == endpoint.id)
                                    .order_by(WebhookEvent.id.desc()).limit(200)).all()
        return self.render_template("integration/webhook_log.html", endpoint=endpoint, events=events,
                                    as_jst=as_jst, event_labels=EVENT_LABELS)


class WebhookEventView(BaseView):
    """再送 of one event from the delivery log (same event id: the receiver can tell a repeat)."""

    route_base = "/shop/webhooks/events"
    tenant_model = WebhookEvent

    @expose("/<int:pk>/replay", methods=["POST"])
    @has_access
    def replay(self, pk):
        webhook_event = get_owned_or_404(db.session, WebhookEvent, pk, current_tenant())
        endpoint_id = webhook_event.endpoint_id
        try:
            webhooks.replay(db.session, webhook_event, now(), g.user)
            db.session.commit()
        except webhooks.WebhookError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
            return redirect(url_for("WebhookView.log", pk=endpoint_id))
        delivered = webhooks.deliver(db.session, pk, webhooks.client_from_config(), now())
        flash("再送しました。" if delivered else "再送しましたが届きませんでした。このあと自動で送り直します。",
              "success" if delivered else "warning")
        return redirect(url_for("WebhookView.log", pk=endpoint_id))


ROLE_PERMISSIONS = {
    "site_manager": {"ApiTokenView": ("can_index", "can_issue", "can_revoke"),
                     "WebhookView": ("can_index", "can_create", "can_disable", "can_log"),
                     "WebhookEventView": ("can_replay",)},
}
ROLE_MENUS = {"site_manager": ("ApiTokens", "Webhooks")}


def register(appbuilder):
    shop = dict(category="ShopSettings", category_label="事業場の設定", category_icon="fa-wrench")
    appbuilder.add_view(ApiTokenView, "ApiTokens", label="APIトークン", icon="fa-key", **shop)
    appbuilder.add_view(WebhookView, "Webhooks", label="状態の通知", icon="fa-bell", **shop)
    appbuilder.add_view_no_menu(WebhookEventView)

    from app.api import register as register_api

    register_api(current_app._get_current_object())
