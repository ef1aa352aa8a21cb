"""Security manager: our user model, the login view only, lockout and audit of logins."""
import logging
from datetime import timedelta

from flask import current_app, flash, g, redirect, request, session
from flask_appbuilder import expose
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.utils.base import get_safe_redirect
from flask_login import login_user, logout_user
from werkzeug.security import check_password_hash

from app import audit
from app.security import sessions
from app.security.models import KeizokuUser
from app.tenancy import SERVICE_STOPPED_MESSAGE, service_stopped
from app.timeutil import utcnow_naive

log = logging.getLogger(__name__)

# One answer for every refused login: a wrong password, an unknown user ID and a locked account
# read the same, so the page tells nobody which user IDs exist or are locked.
LOGIN_REFUSED_MESSAGE = (
    "ユーザーIDまたはパスワードが正しくないか、ログインに続けて失敗したためアカウントが"
    "一時的にロックされています。ロックは{minutes}分後に解除されます。お急ぎの場合は"
    "協会サポートデスクにロック解除をご依頼ください。"
)


def _auth_rate_limit():
    from flask import current_app

    return current_app.config["AUTH_RATE_LIMIT"]


class KeizokuAuthDBView(AuthDBView):
    login_template = "keizoku/login.html"
    invalid_login_message = LOGIN_REFUSED_MESSAGE

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
            sessions.stamp(user)
            return redirect(next_url)
        return self.render_template(
            self.login_template, title="ログイン", form=form, appbuilder=self.appbuilder
        )

    @expose("/logout/", methods=["POST"])
    def logout(self):
        """A POST with the CSRF token (a link or an image cannot log anyone out); ends every
        session of the user, a copied cookie included."""
        if g.user is not None and g.user.is_authenticated:
            self.appbuilder.sm.end_sessions(g.user)
        logout_user()
        session.clear()
        return redirect(self.appbuilder.get_url_for_login)


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

    def load_user(self, pk):
        """The session's user, only while the session carries the user's current version."""
        user = super().load_user(pk)
        if user is not None and not sessions.is_current(user):
            return None
        return user

    def end_sessions(self, user):
        sessions.end_all(user)
        audit.record(self.session, "logout", entity=user, actor=user)
        self.session.commit()

    def refused(self):
        return LOGIN_REFUSED_MESSAGE.format(minutes=self._config("LOCKOUT_MINUTES"))

    def is_locked(self, user, now=None):
        return user.locked_until is not None and user.locked_until > (now or utcnow_naive())

    def _expire_lock(self, user, now):
        """A lock that has run out starts a fresh count: one try every 15 minutes must not keep
        an account locked for ever."""
        if user.locked_until is not None and user.locked_until <= now:
            user.locked_until = None
            user.fail_login_count = 0
            self.session.commit()

    def authenticate(self, username, password):
        """Return (user, None) or (None, Japanese message). Counts failures, locks, audits."""
        username = (username or "").strip()
        user = self.find_user(username=username) if username else None
        now = utcnow_naive()
        if user is not None:
            self._expire_lock(user, now)
        if user is not None and self.is_locked(user, now):
            # The same work as a password check, so the answer's timing tells nothing either.
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")
            audit.record(self.session, "login_refused_locked", entity=user, actor=user)
            self.session.commit()
            return None, self.refused()
        authenticated = self.auth_user_db(username, password)
        if authenticated is not None and service_stopped(authenticated):
            audit.record(self.session, "login_refused_stopped", entity=authenticated,
                         actor=authenticated)
            self.session.commit()
            return None, SERVICE_STOPPED_MESSAGE
        if authenticated is not None:
            return authenticated, None
        return None, self.refused()

    def count_wrong_password(self, user):
        """A wrong 「現在のパスワード」 on the password change counts as a failed login; returns
        True when the account is now locked (the caller ends the session)."""
        self._expire_lock(user, utcnow_naive())
        self.update_user_auth_stat(user, False)
        return self.is_locked(user)

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

    # --- permission checks: one query a request ------------------------------------
    def role_permissions(self, role_ids):
        """The (permission, view) pairs of these roles, read once per request: FAB asks the
        database once for each menu entry and button (35 queries a page before this)."""
        key = tuple(sorted(role_ids))
        cache = g.setdefault("keizoku_role_permissions", {})
        if key not in cache:
            rows = (self.session.query(Permission.name, ViewMenu.name)
                    .select_from(PermissionView)
                    .join(Permission, PermissionView.permission_id == Permission.id)
                    .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
                    .join(PermissionView.role)
                    .filter(Role.id.in_(key)))
            cache[key] = frozenset(tuple(row) for row in rows)
        return cache[key]

    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        return (permission_name, view_name) in self.role_permissions(role_ids)

    def check_password(self, user, password):
        return bool(user.password) and check_password_hash(user.password, password)
