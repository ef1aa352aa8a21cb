"""Request gates that apply to every view: a deactivated business or site, forced password
change and operating hours.

Both run after FAB has put the user on ``g.user``. They are the only places these two
rules live, so a new view cannot bypass them.
"""
from flask import current_app, g, jsonify, redirect, render_template, request, url_for

from app.domain.hours import Hours, in_closure, is_closed, next_opening
from app.tenancy import SERVICE_STOPPED_MESSAGE, service_stopped
from app.timeutil import now

# Endpoints anyone may reach whatever their state (login, logout, static files).
ALWAYS_OPEN = {"static", "appbuilder.static", "AuthDBView.login", "AuthDBView.logout",
               "KeizokuAuthDBView.login", "KeizokuAuthDBView.logout"}
PASSWORD_CHANGE = "PasswordChangeView.password"


def _is_api():
    return request.path.startswith("/api/")


def hours_from_config(config):
    return Hours.from_settings(
        config["MAINTENANCE_DAILY_START"], config["MAINTENANCE_DAILY_END"],
        config["HOLIDAY_CLOSURE_START"], config["HOLIDAY_CLOSURE_END"],
    )


def closed_response(moment):
    hours = hours_from_config(current_app.config)
    opening = next_opening(moment, hours)
    retry_after = max(1, int((opening - moment).total_seconds()))
    reopens = f"{opening.month}月{opening.day}日 {opening.hour}:{opening.minute:02d}"
    if in_closure(moment.date(), hours):
        reason = "年末年始(12月29日〜1月3日)はサービスを休止しています。"
    else:
        reason = "毎日 0:00〜1:00 はシステムメンテナンスのため、ご利用いただけません。"
    headers = {"Retry-After": str(retry_after)}
    if _is_api():
        body = jsonify(error="maintenance", message=reason, retry_after=retry_after)
        return body, 503, headers
    return render_template("keizoku/maintenance.html", reason=reason, reopens=reopens), 503, headers


def stopped_response(user):
    """The association deactivated this user's business or sites: out, with the reason."""
    from flask import flash
    from flask_login import logout_user

    from app import audit
    from app.extensions import appbuilder, db

    audit.record(db.session, "login_refused_stopped", entity=user, actor=user,
                 detail=f"{request.method} {request.path}"[:500])
    db.session.commit()
    if _is_api():
        return jsonify(error="service_stopped", message=SERVICE_STOPPED_MESSAGE), 403
    logout_user()
    flash(SERVICE_STOPPED_MESSAGE, "danger")
    return redirect(appbuilder.get_url_for_login)


def register_gates(app):
    @app.before_request
    def _gates():
        endpoint = request.endpoint or ""
        if endpoint in ALWAYS_OPEN:
            return None
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return None
        if service_stopped(user):
            return stopped_response(user)
        if not user.is_association:
            moment = now()
            if is_closed(moment, hours_from_config(current_app.config)):
                return closed_response(moment)
        # A token (app/api/) is its own credential, issued by a manager: the first-login password
        # change protects the password login, not it.
        if user.must_change_password and endpoint != PASSWORD_CHANGE and not g.get("_api_key_user"):
            if _is_api():
                return jsonify(error="password_change_required",
                               message="パスワードを変更してからご利用ください。"), 403
            return redirect(url_for(PASSWORD_CHANGE))
        return None
