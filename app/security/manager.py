"""Security manager: our user model, the login view only, lockout and audit of logins."""
import logging
from datetime import timedelta

from flask import flash, g, redirect, request, session
from flask_appbuilder import expose
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.utils.base import get_safe_redirect
from flask_login import login_user
from werkzeug.security import check_password_hash

from app import audit
from app.security.models import KeizokuUser
from app.tenancy import SERVICE_STOPPED_MESSAGE, service_stopped
from app.timeutil import utcnow_naive

log = logging.getLogger(__name__)

INVALID_LOGIN_MESSAGE = "ユーザーIDまたはパスワードが正しくありません。"
LOCKED_MESSAGE = (
    "ログインに続けて失敗したため、アカウントを一時的にロックしました。"
    "{minutes}分後にもう一度お試しいただくか、協会サポートデスクにロック解除をご依頼ください。"
)


def _auth_rate_limit():
    from flask import current_app

    return current_app.config["AUTH_RATE_LIMIT"]


class KeizokuAuthDBView(AuthDBView):
    login_template = "keizoku/login.html"
    invalid_login_message = INVALID_LOGIN_MESSAGE

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        form = LoginForm_db()
        if form.validate_on_submit():
            # FAB warns of an "invalid redirect" for a missing one too; keep the warning for
            # a real foreign or forged target, not for every plain login.
            wanted = request.args.get("next")
            next_url = get_safe_redirect(wanted) if wanted else self.appbuilder.get_url_for_index
            sm = self.appbuilder.sm
            user, problem = sm.authenticate(form.username.data, form.password.data)
            if user is None:
                flash(problem, "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            session.clear()  # a fresh session on login: no fixation
            session.permanent = True  # the idle timeout applies
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(
            self.login_template, title="ログイン", form=form, appbuilder=self.appbuilder
        )


class KeizokuSecurityManager(SecurityManager):
    user_model = KeizokuUser
    authdbview = KeizokuAuthDBView

    def register_views(self):
        """Only the login view: accounts are managed on our own association screens."""
        self.auth_view = self.authdbview()
        self.appbuilder.add_view_no_menu(self.auth_view)
        if self.is_auth_limited:
            # Read at request time so operators (and tests) can change it without a restart.
            self.limiter.limit(_auth_rate_limit, methods=["POST"])(self.auth_view.blueprint)

    # --- authentication with lockout ------------------------------------------------
    def _config(self, key):
        from flask import current_app

        return current_app.config[key]

    def authenticate(self, username, password):
        """Return (user, None) or (None, Japanese message). Counts failures, locks, audits."""
        username = (username or "").strip()
        user = self.find_user(username=username) if username else None
        now = utcnow_naive()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            audit.record(self.session, "login_refused_locked", entity=user, actor=user)
            self.session.commit()
            return None, LOCKED_MESSAGE.format(minutes=self._config("LOCKOUT_MINUTES"))
        authenticated = self.auth_user_db(username, password)
        if authenticated is not None and service_stopped(authenticated):
            audit.record(self.session, "login_refused_stopped", entity=authenticated,
                         actor=authenticated)
            self.session.commit()
            return None, SERVICE_STOPPED_MESSAGE
        if authenticated is not None:
            return authenticated, None
        if user is not None and user.locked_until is not None and user.locked_until > now:
            return None, LOCKED_MESSAGE.format(minutes=self._config("LOCKOUT_MINUTES"))
        return None, INVALID_LOGIN_MESSAGE

    def on_user_login(self, user):
        user.locked_until = None
        audit.record(self.session, "login_success", entity=user, actor=user)
        self.session.commit()

    def on_user_login_failed(self, user):
        threshold = self._config("LOCKOUT_THRESHOLD")
        audit.record(
            self.session, "login_failure", entity=user, actor=user,
            detail=f"consecutive failures: {user.fail_login_count}",
        )
        if (user.fail_login_count or 0) >= threshold:
            user.locked_until = utcnow_naive() + timedelta(minutes=self._config("LOCKOUT_MINUTES"))
            audit.record(self.session, "lockout", entity=user, actor=user)
            log.warning("user %s locked after %s failures", user.id, user.fail_login_count)
        self.session.commit()

    def unlock(self, user):
        user.locked_until = None
        user.fail_login_count = 0
        audit.record(self.session, "unlock", entity=user)

    def check_password(self, user, password):
        return bool(user.password) and check_password_hash(user.password, password)
